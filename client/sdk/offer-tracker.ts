import type {
  CleaningPublic,
  CleaningStatus,
  MyOffer,
  OfferEventPublic,
  OfferPublic,
  Offerer,
} from '../../src/contract/schemas.ts';

/** What the client knows about one cleaning's offers, kept in step with the cleaning's offer log. */
export type CleaningTrack = {
  cleaningId: number;
  cleaning: CleaningPublic | undefined;
  /** Every visible event up to this seq is reflected in `offers`. */
  seq: number;
  /** Offers by user id. */
  offers: Map<number, OfferPublic>;
  /** The client sees every event of this cleaning (it owns it), so a jump in seq means something went missing. */
  complete: boolean;
  /** The app subscribed to it: it is resubscribed with `since` on every reconnect. */
  subscribed: boolean;
  /** Reads in flight that will bring it up to date; pushes wait in `held` meanwhile. */
  busy: number;
  held: OfferEventPublic[];
  /** The tracker's clock at the last change, to tell tracks untouched since a read began. */
  touched: number;
};

/** What a change did: the events applied, in order, and where a gap starts if one was found. */
export type TrackStep = { cleaningId: number; applied: OfferEventPublic[]; gapAfter?: number };

/**
 * Applies offer events exactly once and in seq order per cleaning, whether they were pushed, replayed or refetched.
 * It does no I/O: the client asks it what to do, and tells it what it read.
 *
 * Seq is gapless per cleaning, but a cleaner sees only the events of their own offer, so only a track the client
 * sees completely (an owner's) can tell a gap from someone else's event. That is enough: every event carries the
 * whole offer, so a later event of the same offer repairs a missed one.
 */
/**
 * Where a cleaning stands after an event that settles it, for any reader of the event (an owner sees them all,
 * an offerer only their own): an acceptance assigns it, a cancel (or a rejected offer back to pending) reopens
 * it, a completion completes it. A rejection alone does not say which.
 */
const STANDING_AFTER: Partial<Record<OfferEventPublic['type'], CleaningStatus>> = {
  accepted: 'assigned',
  cancelled: 'open',
  pending: 'open',
  completed: 'completed',
};

export class OfferTracker {
  private readonly tracks = new Map<number, CleaningTrack>();
  private readonly users = new Map<number, Offerer>();
  private clock = 0;

  get now(): number {
    return this.clock;
  }

  find(cleaningId: number): CleaningTrack | undefined {
    return this.tracks.get(cleaningId);
  }

  all(): CleaningTrack[] {
    return [...this.tracks.values()];
  }

  /** The cleaning's track, created empty (seq 0, nothing seen) if needed. */
  track(cleaningId: number): CleaningTrack {
    let track = this.tracks.get(cleaningId);
    if (!track) {
      track = {
        cleaningId,
        cleaning: undefined,
        seq: 0,
        offers: new Map(),
        complete: false,
        subscribed: false,
        busy: 0,
        held: [],
        touched: this.clock,
      };
      this.tracks.set(cleaningId, track);
    }
    return track;
  }

  drop(cleaningId: number): boolean {
    return this.tracks.delete(cleaningId);
  }

  clear(): void {
    this.tracks.clear();
  }

  user(userId: number): Offerer | undefined {
    return this.users.get(userId);
  }

  /** Remembers who offerers are (events carry only their id); fills in offers that lacked them. */
  learnUsers(offers: OfferPublic[]): void {
    for (const offer of offers) if (offer.user) this.users.set(offer.user_id, offer.user);
    for (const track of this.tracks.values())
      for (const [userId, offer] of track.offers) {
        const user = this.users.get(userId);
        if (!offer.user && user) track.offers.set(userId, { ...offer, user });
      }
  }

  /**
   * A completion seen live also changes its cleaner's track record: events carry no offerer, so without this every
   * table would go on showing the record from before, next to the new rating and on the cleaner's next offers.
   */
  private countEvaluation(userId: number, rating: number): void {
    const known = this.users.get(userId);
    if (!known) return;
    const total = known.total_evaluations + 1;
    const average = ((known.avg_overall_rating ?? 0) * known.total_evaluations + rating) / total;
    const user = { ...known, total_evaluations: total, avg_overall_rating: average };
    this.users.set(userId, user);
    for (const track of this.tracks.values()) {
      const offer = track.offers.get(userId);
      if (offer?.user) track.offers.set(userId, { ...offer, user });
    }
  }

  /** A pushed event. */
  receive(event: OfferEventPublic): TrackStep {
    const track = this.track(event.cleaning_id);
    track.held.push(event);
    return this.drain(track, false);
  }

  /** A read that will bring the track up to date begins: pushes are held until `settle`. */
  hold(cleaningId: number): CleaningTrack {
    const track = this.track(cleaningId);
    track.busy++;
    return track;
  }

  /**
   * A read ends with the events it returned. When it was authoritative (it read the log up to at least every
   * held event), whatever is held is applied even across a jump: nothing else is coming to fill it.
   */
  settle(cleaningId: number, events: OfferEventPublic[], authoritative: boolean): TrackStep {
    const track = this.track(cleaningId);
    track.busy = Math.max(0, track.busy - 1);
    track.held.push(...events);
    return this.drain(track, authoritative);
  }

  /** A snapshot (`cleaning:subscribe` without `since`): replaces what is known unless the track is already newer. */
  applySnapshot(
    snapshot: { cleaning: CleaningPublic; offers: OfferPublic[]; seq: number },
    complete: boolean,
  ): void {
    const track = this.track(snapshot.cleaning.id);
    track.cleaning = snapshot.cleaning;
    track.complete = complete;
    this.learnUsers(snapshot.offers);
    if (snapshot.seq < track.seq) return;
    track.offers = new Map(snapshot.offers.map((o) => [o.user_id, o]));
    track.seq = snapshot.seq;
    track.touched = ++this.clock;
  }

  /** One of the caller's offers read over REST, with the log position it reflects. */
  applyMine(mine: MyOffer): void {
    const track = this.track(mine.cleaning_id);
    track.cleaning = mine.cleaning;
    if (mine.seq < track.seq) return;
    const { seq, ...offer } = mine;
    track.offers.set(mine.user_id, { ...offer, user: offer.user ?? this.users.get(mine.user_id) ?? null });
    track.seq = seq;
    track.touched = ++this.clock;
  }

  private drain(track: CleaningTrack, acceptJumps: boolean): TrackStep {
    const step: TrackStep = { cleaningId: track.cleaningId, applied: [] };
    if (track.busy > 0) return step;
    track.held.sort((a, b) => a.seq - b.seq);
    let i = 0;
    for (; i < track.held.length; i++) {
      const event = track.held[i]!;
      if (event.seq <= track.seq) continue;
      if (track.complete && !acceptJumps && event.seq > track.seq + 1) {
        step.gapAfter = track.seq;
        break;
      }
      this.apply(track, event);
      step.applied.push(event);
    }
    track.held = track.held.slice(i).filter((e) => e.seq > track.seq);
    return step;
  }

  private apply(track: CleaningTrack, event: OfferEventPublic): void {
    track.seq = event.seq;
    track.touched = ++this.clock;
    const standing = STANDING_AFTER[event.type];
    if (track.cleaning && standing) track.cleaning = { ...track.cleaning, status: standing };
    if (event.type === 'rescinded' || !event.offer) {
      track.offers.delete(event.user_id);
      return;
    }
    if (event.type === 'completed' && event.offer.evaluation)
      this.countEvaluation(event.user_id, event.offer.evaluation.overall_rating);
    const before = track.offers.get(event.user_id);
    track.offers.set(event.user_id, {
      ...event.offer,
      user: event.offer.user ?? before?.user ?? this.users.get(event.user_id) ?? null,
      cleaning: event.offer.cleaning ?? null,
    });
  }
}
