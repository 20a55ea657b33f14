// Date and time boxes of the console's forms, the way Thai staff type them: day/month/Buddhist-Era year
// ("12/01/2570") and the 24-hour clock ("09:30"), in plain text boxes: never the browser's own picker, which
// reads 2570 as a Christian year and shows mm/dd/yyyy with AM/PM. The server reads what is typed
// (meetcore.i18n.dates.parse_typed_date); this only helps typing and says back which day was understood.

const BE_OFFSET = 543;
const TYPED = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;

export function parseBE(text) {
  const match = TYPED.exec((text || '').trim());
  if (!match) return null;
  const [day, month, beYear] = match.slice(1).map(Number);
  if (beYear < 2400) return { christianYear: beYear };
  const date = new Date(Date.UTC(beYear - BE_OFFSET, month - 1, day));
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return null;
  return { date };
}

function pad(n) { return String(n).padStart(2, '0'); }

// "1/2/2570" → "01/02/2570"; digits typed without slashes get them ("12012570" → "12/01/2570").
export function normaliseBE(text) {
  const value = (text || '').trim();
  const digits = /^\d{8}$/.test(value) ? `${value.slice(0, 2)}/${value.slice(2, 4)}/${value.slice(4)}` : value;
  const match = TYPED.exec(digits);
  return match ? `${pad(match[1])}/${pad(match[2])}/${match[3]}` : value;
}

export function normaliseTime(text) {
  const match = /^(\d{1,2})[:.](\d{2})$/.exec((text || '').trim());
  return match ? `${pad(match[1])}:${match[2]}` : (text || '').trim();
}

function echo(input) {
  const target = document.querySelector(`[data-be-date-echo="${input.id}"]`);
  if (!target) return;
  if (!target.dataset.hint) target.dataset.hint = target.textContent;
  const parsed = parseBE(input.value);
  const lang = document.documentElement.lang || 'th';
  if (!input.value.trim()) {
    target.textContent = target.dataset.hint;
  } else if (parsed && parsed.date) {
    target.textContent = new Intl.DateTimeFormat(`${lang}-u-ca-buddhist`, { dateStyle: 'full', timeZone: 'UTC' })
      .format(parsed.date);
  } else {
    target.textContent = target.dataset.hint;
  }
  input.setAttribute('aria-invalid', parsed && parsed.date ? 'false' : 'true');
}

export function enhance(root = document) {
  root.querySelectorAll('input[data-be-date]').forEach((input) => {
    input.addEventListener('input', () => echo(input));
    input.addEventListener('blur', () => { input.value = normaliseBE(input.value); echo(input); });
    if (input.value) echo(input);
  });
  root.querySelectorAll('input[data-time24]').forEach((input) => {
    input.addEventListener('blur', () => { input.value = normaliseTime(input.value); });
  });
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => enhance());
  else enhance();
}
