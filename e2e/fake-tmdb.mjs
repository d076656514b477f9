// A fake TMDB for the browser tests: configuration, search and one movie's details with release dates, shaped like
// TMDB's v3 API. Release dates are relative to today so the app's countdowns have something to count.
import http from 'node:http';

export const DUNE = 693134;

function isoDaysFromNow(days) {
  const date = new Date(Date.now() + days * 86_400_000);
  return `${date.toISOString().slice(0, 10)}T00:00:00.000Z`;
}

const configuration = {
  images: {
    base_url: 'http://image.tmdb.org/t/p/', secure_base_url: 'https://image.tmdb.org/t/p/',
    poster_sizes: ['w92', 'w154', 'w185', 'w342', 'w500', 'original'],
  },
  change_keys: [],
};

function details() {
  return {
    id: DUNE, title: 'Dune: Part Three', original_title: 'Dune: Part Three', overview: 'The final chapter.',
    poster_path: '/dune3.jpg', release_date: isoDaysFromNow(10).slice(0, 10), status: 'Post Production',
    release_dates: { results: [
      { iso_3166_1: 'US', release_dates: [
        { certification: '', note: 'premiere', release_date: isoDaysFromNow(3), type: 1 },
        { certification: 'PG-13', note: '', release_date: isoDaysFromNow(10), type: 3 },
        { certification: 'PG-13', note: '', release_date: isoDaysFromNow(40), type: 4 },
      ] },
    ] },
  };
}

function search() {
  return {
    page: 1, total_pages: 1, total_results: 1,
    results: [{ id: DUNE, title: 'Dune: Part Three', original_title: 'Dune: Part Three', overview: 'The final chapter.',
      poster_path: '/dune3.jpg', release_date: isoDaysFromNow(10).slice(0, 10), adult: false, genre_ids: [878],
      original_language: 'en', popularity: 150.1, video: false, vote_average: 0, vote_count: 0, backdrop_path: null }],
  };
}

/** Starts the fake on a free port; resolves to its base URL and a `close`. */
export function startFakeTmdb() {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://fake');
    let status = 200;
    let body;
    if (url.pathname === '/configuration') body = configuration;
    else if (url.pathname === '/search/movie') body = search();
    else if (url.pathname === `/movie/${DUNE}`) body = details();
    else {
      status = 404;
      body = { success: false, status_code: 34, status_message: 'The resource you requested could not be found.' };
    }
    response.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
    response.end(JSON.stringify(body));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ base: `http://127.0.0.1:${port}`, close: () => server.close() });
    });
  });
}
