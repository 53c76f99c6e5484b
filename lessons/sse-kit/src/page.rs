//! A lesson's page: `GET /` answers the lesson's HTML, `GET /style.css` the look that every
//! lesson's page shares (`assets/style.css`), and, for a page that has one, its script. Not an SSE
//! idea, but every lesson serves them the same way, so they are written once, here.

use warp::http::header;
use warp::{Filter, Rejection, Reply};

/// The look shared by every lesson's page.
pub const STYLE: &str = include_str!("../../../assets/style.css");

/// `GET /` → `html` (`text/html; charset=utf-8`), `GET /style.css` → [`STYLE`]
/// (`text/css; charset=utf-8`). A lesson adds its own routes with `.or(...)` and puts
/// `warp::get()` in front of them all.
pub fn page(html: &'static str) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let page = warp::path::end().map(move || warp::reply::html(html));
    let style = warp::path!("style.css")
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    page.or(style)
}

/// `GET /<name>` → `js` (`text/javascript; charset=utf-8`): the script of a page that keeps it in
/// a file of its own (`assets/lesson06.js`, ...). As with [`page`], the method check is the caller's.
pub fn script(
    name: &'static str,
    js: &'static str,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path(name).and(warp::path::end()).map(move || {
        warp::reply::with_header(js, header::CONTENT_TYPE, "text/javascript; charset=utf-8")
    })
}
