// What the live page's sections share.

export const TIME_LIMITS = [null, 60, 120, 180, 300, 600, 900];
export const REGION_ORDER = ['north', 'northeast', 'central', 'east', 'west', 'south'];

/** The limits offered, with the one shown now among them even when it is not a usual one. */
export function limitChoices(chosen) {
  const seconds = chosen === '' ? null : Number(chosen);
  return TIME_LIMITS.includes(seconds) ? TIME_LIMITS : [...TIME_LIMITS, seconds].sort((x, y) => (x || 0) - (y || 0));
}

export function focusLater(selector) {
  setTimeout(() => {
    const element = document.querySelector(selector);
    if (element) element.focus();
  }, 0);
}
