//! The retry policy on the wire, against a scripted plain-HTTP server on 127.0.0.1: waits are
//! recorded through [`Client::with_sleep`], never slept, so no test depends on the clock.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;

/// Answers the n-th request with `script[n]` (the last one repeats); returns the base URL and
/// the request lines seen.
fn serve(script: Vec<(u16, Vec<(&'static str, &'static str)>)>) -> (Url, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let seen = Arc::new(Mutex::new(vec![]));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            log.lock().unwrap().push(first.trim().to_string());
            let (status, headers) = &script[n.min(script.len() - 1)];
            let mut out =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n");
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n{}");
            let mut stream = stream;
            let _ = stream.write_all(out.as_bytes());
        }
    });
    (base, seen)
}

/// A client whose waits are recorded in the returned list.
fn client(retry: RetryPolicy) -> (Client, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(vec![]));
    let log = waits.clone();
    let mut config = Config::new(Verify::System);
    config.retry = retry;
    let client = Client::new(config)
        .unwrap()
        .with_sleep(move |d| log.lock().unwrap().push(d));
    (client, waits)
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(60),
    }
}

#[test]
fn retry_after_is_honoured() {
    let (base, seen) = serve(vec![(429, vec![("retry-after", "7")]), (200, vec![])]);
    let (client, waits) = client(policy());
    let r = client.send(&Request::get(base.join("x").unwrap())).unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.attempts, 2);
    assert_eq!(*waits.lock().unwrap(), vec![Duration::from_secs(7)]);
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(client.calls(), 2);
}

#[test]
fn retry_after_is_capped_by_the_policy() {
    let (base, _) = serve(vec![(503, vec![("retry-after", "3600")]), (200, vec![])]);
    let (client, waits) = client(RetryPolicy {
        max_backoff: Duration::from_secs(5),
        ..policy()
    });
    client.send(&Request::get(base)).unwrap();
    assert_eq!(*waits.lock().unwrap(), vec![Duration::from_secs(5)]);
}

#[test]
fn without_retry_after_the_backoff_doubles_until_retries_run_out() {
    let (base, seen) = serve(vec![(502, vec![])]);
    let (client, waits) = client(policy());
    let r = client.send(&Request::get(base)).unwrap();
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert_eq!(r.attempts, 4);
    assert_eq!(
        *waits.lock().unwrap(),
        vec![
            Duration::from_millis(100),
            Duration::from_millis(200),
            Duration::from_millis(400)
        ]
    );
    assert_eq!(seen.lock().unwrap().len(), 4);
}

#[test]
fn a_post_is_never_retried() {
    let (base, seen) = serve(vec![(503, vec![("retry-after", "1")]), (200, vec![])]);
    let (client, waits) = client(policy());
    let post = Request::new(Method::POST, base.join("imports").unwrap()).json_body("{}".into());
    let r = client.send(&post).unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(client.calls(), 1);
    assert!(waits.lock().unwrap().is_empty());
    assert_eq!(
        *seen.lock().unwrap(),
        vec!["POST /imports HTTP/1.1".to_string()]
    );
}

#[test]
fn a_post_marked_idempotent_is_retried() {
    let (base, _) = serve(vec![(503, vec![]), (200, vec![])]);
    let (client, _) = client(policy());
    let post = Request::new(Method::POST, base).idempotent();
    assert_eq!(client.send(&post).unwrap().status, StatusCode::OK);
    assert_eq!(client.calls(), 2);
}

#[test]
fn a_client_error_is_an_answer_not_a_retry() {
    let (base, _) = serve(vec![(404, vec![])]);
    let (client, waits) = client(policy());
    let r = client.send(&Request::get(base)).unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(client.calls(), 1);
    assert!(waits.lock().unwrap().is_empty());
}

#[test]
fn a_closed_port_is_retried_then_named_as_a_connect_failure() {
    // Bound but never listening: refuses connections, and no other test can take the port.
    let closed = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    closed.bind(&any.into()).unwrap();
    let port = closed.local_addr().unwrap().as_socket().unwrap().port();
    let (client, waits) = client(RetryPolicy {
        max_retries: 1,
        ..policy()
    });
    let url = Url::parse(&format!("http://127.0.0.1:{port}/x?token=1")).unwrap();
    let e = client.send(&Request::get(url)).unwrap_err();
    assert_eq!(e.kind(), Some(TransportKind::Connect), "{e}");
    assert_eq!(waits.lock().unwrap().len(), 1);
    assert!(
        e.to_string().contains(&format!("127.0.0.1:{port}/x")),
        "{e}"
    );
    assert!(!e.to_string().contains("token"), "{e}");
}

#[test]
fn cookies_set_by_the_server_are_kept_and_sent() {
    let (base, _) = serve(vec![(200, vec![("set-cookie", "XSRF-TOKEN=abc; Path=/")])]);
    let mut config = Config::new(Verify::System);
    config.cookies = true;
    let client = Client::new(config).unwrap();
    client.set_cookie(&base, "SEC", "tok");
    client.send(&Request::get(base.clone())).unwrap();
    assert_eq!(client.cookie(&base, "XSRF-TOKEN").as_deref(), Some("abc"));
    assert_eq!(client.cookie(&base, "SEC").as_deref(), Some("tok"));
}

#[test]
fn a_header_that_cannot_be_sent_is_an_error_without_its_value() {
    let (client, _) = client(policy());
    let req = Request::get(Url::parse("http://127.0.0.1:9/").unwrap()).header("SEC", "a\nsecret");
    let e = client.send(&req).unwrap_err();
    assert!(matches!(e, Error::Header { .. }), "{e}");
    assert!(!e.to_string().contains("secret"), "{e}");
    assert_eq!(client.calls(), 0);
}

#[test]
fn proxy_urls_keep_their_credentials_apart() {
    let p = Proxy::parse("http://us%40er:p%3Ass@proxy.example:3128").unwrap();
    assert_eq!(p.url.as_str(), "http://proxy.example:3128/");
    assert_eq!(p.user.as_deref(), Some("us@er"));
    assert_eq!(p.password.as_ref().map(Secret::expose), Some("p:ss"));
    assert!(!format!("{p:?}").contains("p:ss"));
    assert_eq!(
        Proxy::parse("proxy:8080").unwrap().url.as_str(),
        "http://proxy:8080/"
    );
    assert!(Proxy::parse("http://").is_err());
}

/// `reqwest::blocking` panics when created, used or dropped on an async task; `respack serve`
/// runs workflows that make HTTP calls, so the client must work (and drop) there too.
#[test]
fn the_client_works_and_drops_inside_an_async_task() {
    let (base, seen) = serve(vec![(200, vec![])]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async move {
        let (client, _) = client(policy());
        let status = client.send(&Request::get(base)).unwrap().status;
        drop(client);
        status
    });
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen.lock().unwrap().len(), 1);
}
