// Small helpers of the video panel's modules.

export const RETRY_MS = 5000;

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== false && value != null) node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) node.append(child);
  return node;
}

/** A path (MEETCORE_JANUS_PUBLIC_URL "/janus-ws") is Janus's WebSocket transport proxied at this origin. */
export function serverAddress(server) {
  if (!server.startsWith('/')) return server;
  return `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}${server}`;
}
