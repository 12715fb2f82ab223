import type { CleaningType, OfferStatus } from 'phresh-live/client';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatPrice(price: number): string {
  return money.format(price);
}

export const CLEANING_TYPE_LABELS: Record<CleaningType, string> = {
  dust_up: 'Dust up',
  spot_clean: 'Spot clean',
  full_clean: 'Full clean',
};

export const STATUS_HINTS: Record<OfferStatus, string> = {
  pending: 'Waiting for the owner',
  accepted: 'The job is yours',
  rejected: 'Another offer was accepted',
  cancelled: 'Withdrawn after acceptance',
};

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
