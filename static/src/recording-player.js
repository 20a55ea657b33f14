// The playback page of a meeting's recording (templates/video/playback.html): the agenda as chapters beside
// the video, and the minutes of the item whose chapter the playhead is in. Chapters come from the page's
// list (the same chapters as the <track kind="chapters"> and the file's own); a click on one seeks to it.
// While the recording is still being prepared, the page asks for the build's progress and reloads once it
// is ready. Bundled by esbuild into static/dist/recording-player.js.

const POLL_MS = 5000;

function chapterAt(chapters, seconds) {
  let current = null;
  for (const chapter of chapters) {
    if (seconds + 0.05 >= chapter.start) current = chapter;
  }
  return current;
}

function showMinutes(root, itemId) {
  root.querySelectorAll('[data-minutes-item]').forEach((block) => {
    block.hidden = block.dataset.minutesItem !== String(itemId);
  });
  const none = root.querySelector('[data-minutes-none]');
  if (none) none.hidden = itemId !== null;
  root.querySelectorAll('[data-chapter-start]').forEach((button) => {
    if (button.dataset.item === String(itemId)) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
  });
}

function followChapters(root, video) {
  const buttons = Array.from(root.querySelectorAll('[data-chapter-start]'));
  const chapters = buttons.map((button) => ({ start: Number(button.dataset.chapterStart), item: button.dataset.item }));
  let shown;
  const update = () => {
    const chapter = chapterAt(chapters, video.currentTime);
    const itemId = chapter ? chapter.item : null;
    if (itemId === shown) return;
    shown = itemId;
    showMinutes(root, itemId);
  };
  buttons.forEach((button) => {
    button.addEventListener('click', () => {
      video.currentTime = Number(button.dataset.chapterStart);
      update();
      video.play().catch(() => {});
    });
  });
  ['timeupdate', 'seeked', 'loadedmetadata'].forEach((name) => video.addEventListener(name, update));
  update();
}

function followProgress(root) {
  const url = root.dataset.statusUrl;
  const bar = root.querySelector('progress');
  const label = root.querySelector('[data-progress]');
  const ask = () => {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then((response) => (response.ok ? response.json() : null))
      .then((status) => {
        if (!status) return;
        if (status.state !== 'queued' && status.state !== 'processing') {
          window.location.reload();
          return;
        }
        if (bar) bar.value = status.progress;
        if (label) label.textContent = `${status.progress}%`;
        window.setTimeout(ask, POLL_MS);
      })
      .catch(() => window.setTimeout(ask, POLL_MS));
  };
  window.setTimeout(ask, POLL_MS);
}

function start() {
  const root = document.getElementById('recording');
  if (!root) return;
  const video = root.querySelector('video');
  if (video) followChapters(root, video);
  else if (root.dataset.state === 'queued' || root.dataset.state === 'processing') followProgress(root);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();

export { chapterAt };
