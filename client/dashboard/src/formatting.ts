import type { CleaningType, OfferStatus } from 'phresh-live/client';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatPrice(price: number): string {
  return money.format(price);
}

export const CLEANING_TYPE_LABELS: Record<CleaningType, string> & Partial<Record<string, string>> = {
  dust_up: 'Dust up',
  spot_clean: 'Spot clean',
  full_clean: 'Full clean',
};

// Partial, and read through `statusHint`: the server may add statuses (a `completed` offer, say) before the
// dashboard knows them, and those must still show.
const STATUS_HINTS: Partial<Record<string, string>> = {
  pending: 'Waiting for the owner',
  accepted: 'The job is yours',
  rejected: 'Another offer was accepted',
  cancelled: 'You backed out of the job',
  completed: 'The job is done',
};

/** The word shown on a status badge: the status itself, so that what is read matches what the API says. */
export function statusLabel(status: OfferStatus | string): string {
  return status.replace(/_/g, ' ');
}

export function statusHint(status: OfferStatus | string): string {
  return STATUS_HINTS[status] ?? '';
}

const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** "14:05" today, "Mar 3, 14:05" on another day. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  const today = new Date();
  return date.toDateString() === today.toDateString() ? time.format(date) : dayAndTime.format(date);
}
