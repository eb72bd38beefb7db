import { addTallies, EMPTY_TALLY, INITIAL_GUARD_STATE, type DeliverabilityTally, type GuardState } from '../../lambda/core/deliverability';
import type { DeliverabilityCounters, GuardMemory } from '../../lambda/core/reputation-guard';

/** The hourly buckets in a map, with the port's semantics: `add` answers the hour after the write. */
export class InMemoryDeliverabilityCounters implements DeliverabilityCounters {
  hours = new Map<number, DeliverabilityTally>();
  /** Each add, as the adapter would write it: one per call. */
  readonly writes: { hour: number; tally: DeliverabilityTally }[] = [];

  async add(hour: number, tally: DeliverabilityTally): Promise<DeliverabilityTally> {
    this.writes.push({ hour, tally });
    const after = addTallies([this.hours.get(hour) ?? EMPTY_TALLY, tally]);
    this.hours.set(hour, after);
    return after;
  }

  async buckets(hours: readonly number[]): Promise<DeliverabilityTally[]> {
    return hours.map((hour) => this.hours.get(hour) ?? EMPTY_TALLY);
  }
}

/** The guard's state with its version, replaced only when the version still matches. */
export class InMemoryGuardMemory implements GuardMemory {
  state: GuardState = INITIAL_GUARD_STATE;
  version = 0;

  async read(): Promise<{ state: GuardState; version: number }> {
    return { state: this.state, version: this.version };
  }

  async replace(state: GuardState, version: number): Promise<boolean> {
    if (version !== this.version) return false;
    this.state = state;
    this.version = version + 1;
    return true;
  }
}
