// lesson05's page, now for a server that replays what a reconnecting page missed.
//
// Every newPost carries `id: <resume token>`. The browser remembers the last one (lastEventId)
// and, when it reconnects by itself (after the server's `retry: 1000` ms), sends it back as the
// Last-Event-ID header. The server then sends exactly the posts written meanwhile, in order, then
// the live ones. So, unlike lesson05, this page does nothing special when it reconnects: no
// refetching of the list. Only when the server cannot resume (`event: resync`: an id it cannot
// use, or history too old) does the page reload its list.
//
// When every stream is taken, the server answers `retry: 5000` + `event: busy` and ends the
// response (not a 503, which would make EventSource give up for good): the browser comes back
// in 5 s by itself, with the same Last-Event-ID. The server also ends a stream that had nothing
// to send for a while (its slot is then free); the browser reconnects and resumes the same way.
//
// Posts are built from DOM nodes, their text set with textContent (never HTML), as in lesson05.

const list = document.getElementById('posts');
const empty = document.getElementById('empty');
const connection = document.getElementById('connection');
const form = document.getElementById('write');
const formError = document.getElementById('form-error');
const shown = new Set(); // the _id of every post on the page, so none appears twice

function renderPost(post) {
  const item = document.createElement('li');
  item.className = 'post';
  item.dataset.id = post._id;

  const title = document.createElement('h3');
  title.textContent = post.title;
  item.appendChild(title);

  if (post.body) {
    const body = document.createElement('p');
    body.textContent = post.body;
    item.appendChild(body);
  }
  if (post.createdAt) {
    const time = document.createElement('time');
    time.dateTime = post.createdAt;
    time.textContent = new Date(post.createdAt).toLocaleString();
    item.appendChild(time);
  }
  return item;
}

// Puts a post at the top (a new one) or the bottom (an older one), unless it is shown already.
function show(post, where) {
  if (typeof post !== 'object' || post === null || shown.has(post._id)) return;
  shown.add(post._id);
  const item = renderPost(post);
  if (where === 'top') list.prepend(item); else list.append(item);
  empty.hidden = true;
}

// GET /posts: the latest posts, newest first.
async function fetchLatest() {
  try {
    const posts = await (await fetch('/posts')).json();
    return Array.isArray(posts) ? posts : [];
  } catch (err) {
    console.error('could not load the posts:', err);
    return [];
  }
}

// The list is loaded once the stream is open (the server opens the client's change stream before
// it answers), so a post is either in the list or on its way as an event, never in neither.
// Events that arrive while the list loads are held back and shown after it, once each.
let listLoaded = false;
let loads = 0; // which load is the latest, when a resync starts another one
const heldBack = [];
async function loadList() {
  const mine = ++loads;
  document.body.dataset.listLoads = String(mine); // how often the list was loaded (tests read it)
  listLoaded = false;
  const posts = await fetchLatest();
  if (mine !== loads) return; // a newer load has started: it will draw the list
  list.replaceChildren();
  shown.clear();
  empty.hidden = false;
  for (const post of posts) show(post, 'bottom');
  listLoaded = true;
  for (const post of heldBack.splice(0)) show(post, 'top');
}

function setConnection(text, kind) {
  connection.textContent = text;
  connection.className = 'state ' + kind;
}

const eventSource = new EventSource('/sse');
let everOpened = false;
eventSource.onopen = () => {
  busy = false;
  setConnection('connected', 'ok');
  // Only the first time. After a reconnect the server replays what we missed: nothing to fetch.
  if (!everOpened) {
    everOpened = true;
    loadList();
  }
};
let busy = false; // the last answer was `busy`: keep saying so while the browser waits
eventSource.onerror = () => {
  // The browser reconnects by itself (after `retry` ms) unless the server told it to stop.
  if (eventSource.readyState === EventSource.CLOSED) setConnection('disconnected', 'bad');
  else if (!busy) setConnection('reconnecting…', 'wait');
};
// Every stream is taken; the browser tries again after the `retry:` that came with it.
eventSource.addEventListener('busy', (e) => {
  busy = true;
  setConnection('server busy, retrying…', 'wait');
  document.body.dataset.busyAnswers = String(Number(document.body.dataset.busyAnswers || 0) + 1);
  // A busy answer opens no change stream. If we never had a real one (no id yet), the list that
  // this `open` loaded may miss posts written before the real one opens: load it again then.
  if (e.lastEventId === '') everOpened = false;
});
eventSource.addEventListener('newPost', (e) => {
  connection.title = 'Last-Event-ID: ' + e.lastEventId; // what a reconnect will send
  try {
    const post = JSON.parse(e.data);
    if (listLoaded) show(post, 'top'); else heldBack.push(post);
  } catch (err) {
    console.error('a newPost event that is not JSON:', e.data);
  }
});
// The server could not resume from our Last-Event-ID: what we missed is unknown, so reload.
eventSource.addEventListener('resync', (e) => {
  console.info('resync:', e.data);
  loadList();
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  formError.textContent = '';
  const button = document.getElementById('submit');
  button.disabled = true;
  try {
    const response = await fetch('/posts', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: form.title.value, body: form.body.value }),
    });
    if (response.ok) {
      form.reset(); // the post itself arrives through the event stream, like everyone else's
    } else {
      const problem = await response.json().catch(() => ({ error: response.statusText }));
      formError.textContent = problem.error || 'could not post';
      if (problem.field && form[problem.field]) form[problem.field].focus();
    }
  } catch (err) {
    formError.textContent = 'network error: ' + err.message;
  } finally {
    button.disabled = false;
  }
});
