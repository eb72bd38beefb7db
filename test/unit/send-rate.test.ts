import { backoffSeconds, msUntilFits, windowAllowance, windowOf } from '../../lambda/core/send-rate';

describe('send-rate window math', () => {
  it('keys a time by its epoch second and the milliseconds into it', () => {
    expect(windowOf(1_764_324_000_250)).toEqual({ second: 1_764_324_000, elapsedMs: 250 });
    expect(windowOf(1_764_324_000_000)).toEqual({ second: 1_764_324_000, elapsedMs: 0 });
  });

  it('allows the whole rate in a window after an empty one', () => {
    expect(windowAllowance(14, 0, 0)).toBe(14);
    expect(windowAllowance(14, 0, 999)).toBe(14);
  });

  it('weighs the previous window by how much of it lies within the last second', () => {
    // A full previous second: nothing at the start, half at mid-second, all of it at the end.
    expect(windowAllowance(100, 100, 0)).toBe(0);
    expect(windowAllowance(100, 100, 500)).toBe(50);
    expect(windowAllowance(100, 100, 1000)).toBe(100);
    expect(windowAllowance(14, 14, 500)).toBe(7);
    expect(windowAllowance(10, 4, 250)).toBe(7);
  });

  it('goes negative after a window that took more than the rate (one oversized message)', () => {
    expect(windowAllowance(14, 50, 500)).toBeLessThan(0);
  });

  it('never lets a window plus the sends of the previous one still within the last second exceed the rate, nor stay below it', () => {
    // The previous window's sends spread evenly from its first one to its end, each at the middle of its share.
    const wrong: string[] = [];
    for (const rate of [1, 7, 14, 50, 100, 165]) {
      for (let previous = 0; previous <= rate; previous += Math.max(1, Math.floor(rate / 7))) {
        for (const start of [0, 300, 960]) {
          const positions = Array.from({ length: previous }, (_, i) => start + ((i + 0.5) * (1000 - start)) / previous);
          for (let elapsed = 0; elapsed <= 1000; elapsed += 1) {
            const stillRecent = positions.filter((at) => at >= elapsed).length;
            const total = windowAllowance(rate, previous, elapsed, start) + stillRecent;
            if (total !== rate) wrong.push(`rate ${rate}, previous ${previous} from ${start} ms, at ${elapsed} ms: ${total}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('counts the previous window from its first send: after a quiet spell the next window does not take the rate at once', () => {
    // 40 sent from 960 ms on: all 40 are within the last second until 960 ms into the next window.
    expect(windowAllowance(165, 40, 0, 960)).toBe(125);
    expect(windowAllowance(165, 40, 959, 960)).toBe(125);
    expect(windowAllowance(165, 40, 980, 960)).toBe(145);
    // Spread over the whole second instead, most of them would count as gone by mid-second.
    expect(windowAllowance(165, 40, 500, 0)).toBe(145);
    expect(msUntilFits(165, 40, 125, 1, 100, 960)).toBe(961 - 100);
  });

  it('lets a steady flow put the whole rate in every window, the last send just before the window ends', () => {
    // After a full window, the last of 165 fits once the previous window's last send (at 997 ms) is a second old.
    expect(windowAllowance(165, 165, 996)).toBe(164);
    expect(windowAllowance(165, 165, 997)).toBe(165);
    expect(msUntilFits(165, 165, 164, 1, 900)).toBe(97);
  });

  it('waits within the window until the first millisecond the allowance fits', () => {
    // rate 100, previous 100, 20 already here, 10 more wanted: fits from 296 ms on (the previous
    // window's sends at 295 ms and later are still within the last second up to then).
    expect(msUntilFits(100, 100, 20, 10, 100)).toBe(196);
    expect(windowAllowance(100, 100, 295)).toBeLessThan(30);
    expect(windowAllowance(100, 100, 296)).toBeGreaterThanOrEqual(30);
  });

  it('answers the first millisecond at which the recipients fit, in this window or the next', () => {
    const fitsAt = (rate: number, previous: number, current: number, recipients: number, at: number, start: number): boolean =>
      at < 1000 ? windowAllowance(rate, previous, at, start) >= current + recipients : windowAllowance(rate, current, at - 1000) >= recipients;
    const wrong: string[] = [];
    for (const rate of [7, 14, 100, 165]) {
      for (const previous of [0, 1, Math.floor(rate / 2), rate]) {
        for (const start of [0, 500, 960]) {
          for (const current of [0, Math.floor(rate / 3), rate - 1, rate]) {
            for (const recipients of [1, 2, Math.min(rate, 5)]) {
              for (const elapsed of [0, 250, 999]) {
                const wait = msUntilFits(rate, previous, current, recipients, elapsed, start);
                const at = elapsed + wait;
                const early = wait > 1 && fitsAt(rate, previous, current, recipients, at - 1, start);
                if (!fitsAt(rate, previous, current, recipients, at, start) || early) wrong.push(`${[rate, previous, start, current, recipients, elapsed].join(', ')}: ${wait} ms`);
              }
            }
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('waits for the next window when this one is full, and into it as its previous window weighs', () => {
    // The window holds the whole rate: the next one has room for 50 once 50 of its sends are a second old.
    expect(msUntilFits(100, 0, 100, 50, 400)).toBe(600 + 496);
    // 60 here, 50 wanted: the next window, once 60 * (1 - t) < 50.5, i.e. 159 ms into it.
    expect(msUntilFits(100, 0, 60, 50, 400)).toBe(600 + 159);
    // It fits now: ask again at once.
    expect(msUntilFits(100, 0, 10, 50, 400)).toBe(1);
  });

  it('answers at least 1 ms', () => {
    expect(msUntilFits(100, 100, 0, 1, 999)).toBeGreaterThanOrEqual(1);
    expect(msUntilFits(100, 0, 0, 1, 0)).toBe(1);
  });

  it('sends a message larger than the rate to the next window', () => {
    expect(msUntilFits(14, 0, 3, 50, 250)).toBe(750);
  });
});

describe('backoffSeconds', () => {
  it('doubles from the base, with equal jitter between half and all of it', () => {
    expect(backoffSeconds(1, () => 0)).toBe(1);
    expect(backoffSeconds(1, () => 1)).toBe(2);
    expect(backoffSeconds(3, () => 0)).toBe(4);
    expect(backoffSeconds(3, () => 1)).toBe(8);
    expect(backoffSeconds(5, () => 0.5)).toBe(24);
  });

  it('stops growing at the cap', () => {
    expect(backoffSeconds(30, () => 1)).toBe(300);
    expect(backoffSeconds(1000, () => 0)).toBe(150);
    expect(backoffSeconds(12, () => 1, 2, 60)).toBe(60);
  });

  it('is a whole number of seconds, at least 1', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const delay = backoffSeconds(attempt, Math.random);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(1);
    }
  });
});
