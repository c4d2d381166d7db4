// Shared class names, so focus rings, buttons, cards and spacing stay the same on every portal page.
// One spacing scale: 2 (inside a control group), 3 (inside a card), 4 (between cards), 8 (between sections).

export const focusRing = 'focus-visible:outline focus-visible:outline-3 focus-visible:outline-offset-2 focus-visible:outline-blue-600';

const button = `inline-flex items-center justify-center gap-1 rounded px-3 py-1.5 text-sm font-semibold aria-disabled:cursor-wait aria-disabled:opacity-70 ${focusRing}`;

export const buttonClass = {
  primary: `${button} bg-blue-700 text-white hover:bg-blue-800`,
  secondary: `${button} border border-slate-500 bg-white text-slate-900 hover:bg-slate-100`,
  danger: `${button} bg-red-700 text-white hover:bg-red-800`,
} as const;
export type ButtonVariant = keyof typeof buttonClass;

export const inputClass = `mt-1 block w-full max-w-md rounded border border-slate-500 bg-white px-3 py-2 aria-invalid:border-2 aria-invalid:border-red-700 ${focusRing}`;

export const labelClass = 'block font-medium text-slate-900';
export const hintClass = 'mt-1 text-sm text-slate-600';
export const linkClass = `font-medium text-blue-800 underline rounded ${focusRing}`;

/** A list entry (token, user, audit row): stacked at every width, so nothing scrolls sideways on a phone. */
export const cardClass = 'rounded border border-slate-300 bg-white p-3';
export const sectionClass = 'space-y-4';
export const pageTitleClass = 'text-2xl font-bold';
export const sectionTitleClass = 'text-xl font-semibold';
export const emptyClass = 'rounded border border-dashed border-slate-300 bg-white p-4 text-slate-700';
