// Dates and numbers in the reader's own locale (the browser's), never a fixed format.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dayOfSeries = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const integer = new Intl.NumberFormat();
const credits = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });

export const formatDateTime = (iso: string) => dateTime.format(new Date(iso));
export const formatDate = (iso: string) => dateOnly.format(new Date(iso));
/** A UTC day of a usage series (YYYY-MM-DD). */
export const formatDay = (day: string) => dayOfSeries.format(new Date(`${day}T00:00:00Z`));
export const formatInteger = (n: number) => integer.format(n);
export const formatCredits = (n: number) => credits.format(n);
