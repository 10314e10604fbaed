use std::time::Instant;
fn main() {
    let n = 50000;
    let t = Instant::now();
    for i in 0..n {
        let _ = skopio::email::normal_form(&format!("User.{i}@Example{}.com", i % 50));
    }
    println!("email normal_form: {:?}/op", t.elapsed() / n);
    skopio::phone::preload();
    let t = Instant::now();
    for i in 0..n {
        let _ = skopio::phone::e164(&format!("+1415555{:04}", i % 10000));
    }
    println!("phone e164: {:?}/op", t.elapsed() / n);
    let t = Instant::now();
    for i in 0..n {
        let _ = skopio::phone::e164(&format!("+4420794{:05}", i % 10000));
    }
    println!("phone e164 gb: {:?}/op", t.elapsed() / n);
    let t = Instant::now();
    for i in 0..n {
        let _ = skopio::username::normalise(&format!("User_{i}"));
    }
    println!("username normalise: {:?}/op", t.elapsed() / n);
}
