// What the live page's sections share.

export const TIME_LIMITS = [null, 60, 120, 180, 300, 600, 900];
export const REGION_ORDER = ['north', 'northeast', 'central', 'east', 'west', 'south'];

/** The limits offered, with the one shown now among them even when it is not a usual one. */
export function limitChoices(chosen) {
  const seconds = chosen === '' ? null : Number(chosen);
  return TIME_LIMITS.includes(seconds) ? TIME_LIMITS : [...TIME_LIMITS, seconds].sort((x, y) => (x || 0) - (y || 0));
}

/**
 * Move the focus to the control `selector` a redraw has just drawn (the confirmation's "yes", or the
 * "ask" again after "no"). At once when it is there: a focus deferred to a timer could land after the
 * person (or a test's keyboard) had already moved on to another control, and their next Enter would then
 * press this one instead (closing a poll or ending the meeting by mistake). Deferred only when the redraw
 * has not drawn it yet, and then only if the focus has not gone anywhere since.
 */
export function focusDrawn(selector) {
  const element = document.querySelector(selector);
  if (element) {
    element.focus();
    return;
  }
  const before = document.activeElement;
  setTimeout(() => {
    const active = document.activeElement;
    if (active && active !== before && active !== document.body) return;
    const later = document.querySelector(selector);
    if (later) later.focus();
  }, 0);
}
