// The final page of the notes ([몽고DB-체인지스트림] 클라이언트사이드), made safe and complete.
//
// The notes insert `<div>${data.title}</div>` with insertAdjacentHTML: a title such as
// <img src=x onerror=...> would then run its script in every reader's browser. Here every post
// is built from DOM nodes and its text is set with textContent, which never parses HTML.

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

// At start the stream is opened first and the list fetched second, so no post can fall between
// the two; events that arrive before the list are held back and shown after it.
let listLoaded = false;
const heldBack = [];
async function loadList() {
  for (const post of await fetchLatest()) show(post, 'bottom');
  listLoaded = true;
  for (const post of heldBack.splice(0)) show(post, 'top');
}

// After a reconnect: posts written while we were away never reach us as events (lesson06 fixes
// that properly), so fetch the list again and put the ones we missed on top, newest first.
async function catchUp() {
  const missed = (await fetchLatest()).filter((post) => !shown.has(post._id));
  for (const post of missed.reverse()) show(post, 'top');
}

function setConnection(text, kind) {
  connection.textContent = text;
  connection.className = 'state ' + kind;
}

// The notes' EventSource and addEventListener('newPost').
const eventSource = new EventSource('/sse');
let hadError = false;
eventSource.onopen = () => {
  setConnection('connected', 'ok');
  if (hadError && listLoaded) catchUp();
  hadError = false;
};
eventSource.onerror = () => {
  hadError = true;
  // The browser reconnects by itself unless the server told it to stop.
  if (eventSource.readyState === EventSource.CLOSED) setConnection('disconnected', 'bad');
  else setConnection('reconnecting…', 'wait');
};
eventSource.addEventListener('newPost', (e) => {
  try {
    const post = JSON.parse(e.data);
    if (listLoaded) show(post, 'top'); else heldBack.push(post);
  } catch (err) {
    console.error('a newPost event that is not JSON:', e.data);
  }
});
// The server says that events were lost for this page: it fell too far behind (`lagged`), or
// the server had to open its change stream again after MongoDB restarted (`resync`). Either way,
// fetch the list again.
eventSource.addEventListener('lagged', () => catchUp());
eventSource.addEventListener('resync', () => catchUp());

loadList();

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
