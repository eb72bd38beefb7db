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

  it('never lets a window plus the recent part of the previous one exceed the rate', () => {
    for (const rate of [1, 7, 14, 50, 100]) {
      for (let previous = 0; previous <= rate; previous += Math.max(1, Math.floor(rate / 7))) {
        for (let elapsed = 0; elapsed <= 1000; elapsed += 50) {
          expect(windowAllowance(rate, previous, elapsed) + previous * (1 - elapsed / 1000)).toBeLessThanOrEqual(rate + 1e-9);
        }
      }
    }
  });

  it('waits within the window when the allowance will grow enough', () => {
    // rate 100, previous 100, 20 already here, 10 more wanted: fits from 300 ms on.
    expect(msUntilFits(100, 100, 20, 10, 100)).toBe(200);
    expect(windowAllowance(100, 100, 300)).toBeGreaterThanOrEqual(30);
  });

  it('waits for the next window when this one is full, and into it as its previous window weighs', () => {
    // The window holds the whole rate: the next one starts with nothing to spare, half at 500 ms.
    expect(msUntilFits(100, 0, 100, 50, 400)).toBe(600 + 500);
    // 60 here, 50 wanted: the next window, once 60 * (1 - t) <= 50, i.e. 167 ms into it.
    expect(msUntilFits(100, 0, 60, 50, 400)).toBe(600 + 167);
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
