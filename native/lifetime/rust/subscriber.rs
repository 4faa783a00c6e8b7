// Registers a Box'd context with a C registry that releases it on unsubscribe.
// Rust's rule: Box::into_raw hands the allocation's ownership out; exactly one
// Box::from_raw may take it back. Two owners free it twice.
use std::ffi::c_void;

extern "C" {
    fn subscribe(context: *mut c_void, release: extern "C" fn(*mut c_void));
    fn unsubscribe();
}

struct Counter {
    seen: u64,
}

extern "C" fn release_counter(context: *mut c_void) {
    drop(unsafe { Box::from_raw(context as *mut Counter) }); // the registry's release: the one owner
}

/// A subscription that owns its registration: dropping it unsubscribes, and nothing else frees the context.
struct Subscription;

impl Subscription {
    fn new(counter: Counter) -> Subscription {
        unsafe { subscribe(Box::into_raw(Box::new(counter)) as *mut c_void, release_counter) };
        Subscription
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        unsafe { unsubscribe() }; // FIX: the one way back, run exactly once by Drop
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("fixed") {
        let subscription = Subscription::new(Counter { seen: 0 });
        drop(subscription);
    } else {
        let counter = Box::into_raw(Box::new(Counter { seen: 0 }));
        unsafe { subscribe(counter as *mut c_void, release_counter) };
        unsafe { unsubscribe() };
        let last = unsafe { Box::from_raw(counter) }; // FLAW: a second owner of what the registry already released
        println!("seen {}", last.seen);
    }
    println!("unsubscribed");
}
