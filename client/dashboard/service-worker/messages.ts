/** What the service worker tells an open dashboard: a notification about this job was clicked, show it. */
export type ShowJobMessage = { type: 'show-job'; cleaning_id: number };
