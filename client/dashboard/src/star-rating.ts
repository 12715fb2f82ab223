import type { EvaluationPublic } from 'phresh-live/client';
import { h } from './elements.ts';

export const MAX_STARS = 5;

/**
 * Stars as people read them: drawn for the eye, and said in words to a screen reader (a row of "black star"
 * characters means nothing read aloud).
 */
export function stars(rating: number, words = `${formatRating(rating)} of ${MAX_STARS} stars`): HTMLElement {
  const full = Math.round(rating);
  return h(
    'span',
    { class: 'stars' },
    h(
      'span',
      { class: 'stars-drawn', 'aria-hidden': 'true' },
      '★'.repeat(full),
      h('span', { class: 'stars-empty' }, '★'.repeat(MAX_STARS - full)),
    ),
    h('span', { class: 'visually-hidden' }, words),
  );
}

/** An offerer's track record, as the owner weighs offers: average and count, or plainly none yet. */
export function trackRecord(user: {
  total_evaluations: number;
  avg_overall_rating: number | null;
}): HTMLElement {
  const count = user.total_evaluations;
  if (count === 0 || user.avg_overall_rating === null)
    return h('span', { class: 'track-record muted' }, 'No ratings yet');
  return h(
    'span',
    { class: 'track-record' },
    stars(user.avg_overall_rating, `Rated ${formatRating(user.avg_overall_rating)} of ${MAX_STARS}`),
    ` ${formatRating(user.avg_overall_rating)} · ${count} ${count === 1 ? 'rating' : 'ratings'}`,
  );
}

/** What an evaluation said, in brief: its stars, the no-show flag, and the headline. */
export function evaluationSummary(evaluation: EvaluationPublic): HTMLElement {
  return h(
    'span',
    { class: 'evaluation-summary', 'data-rating': evaluation.overall_rating },
    stars(evaluation.overall_rating),
    evaluation.no_show ? h('span', { class: 'pill', 'data-tone': 'danger' }, 'No-show') : null,
    evaluation.headline ? h('q', { class: 'evaluation-headline' }, evaluation.headline) : null,
  );
}

function formatRating(rating: number): string {
  return Number.isInteger(rating) ? String(rating) : rating.toFixed(1);
}
