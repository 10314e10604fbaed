//! Site checks through the networks customers really have: a SOCKS5 proxy that resolves
//! names itself, and a TLS-intercepting corporate proxy whose own CA signs every site's
//! certificate (trusted only through `engine.http.ca_file`). Each test plays the proxy on
//! loopback and checks one site through the production client and `sites::check`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use skopio::config::HttpConfig;
use skopio::outbound::Outbound;
use skopio::sites::Site;
use skopio::sites::check::check;
use skopio::sites::detect::Verdict;
use skopio::sites::formats::parse;

fn site(scheme: &str) -> Site {
    let text = format!(
        r#"{{"sites": [{{"name": "Example", "uri_check": "{scheme}://site.test/u/{{account}}",
        "e_code": 200, "e_string": "profile-card", "m_code": 404, "m_string": "",
        "known": ["janedoe"], "cat": "social"}}]}}"#
    );
    parse(&text).unwrap().sites.remove(0)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Reads one HTTP request's head from `stream` and answers as the site would.
fn play_site(stream: &mut (impl Read + Write), seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(&mut *stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let first = head.lines().next().unwrap_or("").to_string();
    seen.lock().unwrap().push(first.clone());
    let body = match first.contains("/u/janedoe ") {
        true => "<div class=profile-card>janedoe</div>",
        false => "",
    };
    let status = if body.is_empty() {
        "404 Not Found"
    } else {
        "200 OK"
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes());
    let _ = stream.flush();
}

/// A SOCKS5 proxy (no authentication) that records the address each client asked for and
/// plays the site itself.
fn socks5_proxy(seen: Arc<Mutex<Vec<String>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || socks5_session(stream, &seen));
        }
    });
    addr
}

fn socks5_session(mut stream: TcpStream, seen: &Mutex<Vec<String>>) -> Option<()> {
    let mut greeting = [0u8; 2];
    stream.read_exact(&mut greeting).ok()?;
    let mut methods = vec![0u8; usize::from(greeting[1])];
    stream.read_exact(&mut methods).ok()?;
    stream.write_all(&[5, 0]).ok()?;
    let mut request = [0u8; 4];
    stream.read_exact(&mut request).ok()?;
    let target = match request[3] {
        3 => {
            let mut len = [0u8; 1];
            stream.read_exact(&mut len).ok()?;
            let mut name = vec![0u8; usize::from(len[0])];
            stream.read_exact(&mut name).ok()?;
            String::from_utf8_lossy(&name).into_owned()
        }
        1 => {
            let mut ip = [0u8; 4];
            stream.read_exact(&mut ip).ok()?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        _ => return None,
    };
    let mut port = [0u8; 2];
    stream.read_exact(&mut port).ok()?;
    seen.lock()
        .unwrap()
        .push(format!("CONNECT {target}:{}", u16::from_be_bytes(port)));
    stream.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).ok()?;
    play_site(&mut stream, seen);
    Some(())
}

#[test]
fn a_socks5_proxy_carries_site_checks_and_resolves_names_itself() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let proxy = socks5_proxy(Arc::clone(&seen));
    let config = HttpConfig {
        proxy: format!("socks5://{proxy}"),
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    };
    let outbound = Outbound::new(&config).unwrap();
    let site = site("http");
    let (found, gone) = runtime().block_on(async {
        (
            check(&outbound, &site, "janedoe", None).await,
            check(&outbound, &site, "nobodyzz9", None).await,
        )
    });
    assert!(matches!(found.verdict, Verdict::Found(_)), "{found:?}");
    assert_eq!(gone.verdict, Verdict::Missing);
    let seen = seen.lock().unwrap().clone();
    // `site.test` resolves nowhere: only a proxy given the name could have reached it.
    assert!(
        seen.contains(&"CONNECT site.test:80".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"GET /u/janedoe HTTP/1.1".to_string()),
        "{seen:?}"
    );
}

/// A corporate CA, and the certificate it issues for `site.test`.
struct Pki {
    ca_pem: String,
    leaf: rustls::pki_types::CertificateDer<'static>,
    leaf_key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn corporate_pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Corporate Proxy CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["site.test".to_string()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        leaf: leaf.der().clone(),
        leaf_key: rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    }
}

/// An HTTP proxy that accepts the CONNECT and then speaks TLS to the client itself, with
/// a certificate its own CA signed, as a TLS-intercepting corporate proxy does.
fn intercepting_proxy(pki: &Pki, seen: Arc<Mutex<Vec<String>>>) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![pki.leaf.clone()], pki.leaf_key.clone_key())
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (config, seen) = (Arc::clone(&config), Arc::clone(&seen));
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut connect = String::new();
                let _ = reader.read_line(&mut connect);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                seen.lock().unwrap().push(connect.trim().to_string());
                let mut stream = stream;
                let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let Ok(server) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(server, stream);
                play_site(&mut tls, &seen);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    addr
}

#[test]
fn a_tls_intercepting_proxy_is_trusted_through_ca_file_and_only_so() {
    let pki = corporate_pki();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let proxy = intercepting_proxy(&pki, Arc::clone(&seen));
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("corporate-ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    let site = site("https");
    let runtime = runtime();

    let trusting = Outbound::new(&HttpConfig {
        proxy: format!("http://{proxy}"),
        ca_file: ca_file.display().to_string(),
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    })
    .unwrap();
    let found = runtime.block_on(check(&trusting, &site, "janedoe", None));
    assert!(matches!(found.verdict, Verdict::Found(_)), "{found:?}");
    assert!(
        seen.lock()
            .unwrap()
            .contains(&"CONNECT site.test:443 HTTP/1.1".to_string()),
        "{seen:?}"
    );

    // Without the corporate CA the proxy's certificate is refused: the check is unknown
    // with the reason, never a result.
    let sceptical = Outbound::new(&HttpConfig {
        proxy: format!("http://{proxy}"),
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    })
    .unwrap();
    let refused = runtime.block_on(check(&sceptical, &site, "janedoe", None));
    match &refused.verdict {
        Verdict::Unknown(skopio::sites::detect::Unknown::Error, detail) => {
            assert!(detail.to_lowercase().contains("cert"), "{detail}")
        }
        other => panic!("expected an unknown error, got {other:?}"),
    }
}
