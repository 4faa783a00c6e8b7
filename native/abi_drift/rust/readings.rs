// Builds a sensor reading in Rust and asks the C library for its value.
// Rust's rule: only #[repr(C)] promises C's layout; a plain struct's fields may be
// reordered (rustc sorts them by alignment), so C reads other bytes than Rust wrote.
extern "C" {
    fn reading_value(reading: *const std::ffi::c_void) -> u64;
    fn reading_channel(reading: *const std::ffi::c_void) -> u8;
}

struct Reading { // FLAW: no #[repr(C)]: rustc may lay the fields out in another order than C's struct reading
    channel: u8,
    flags: u8,
    scale: u16,
    raw: u32,
}

#[repr(C)] // FIX: the fields sit where C's struct reading has them
struct CReading {
    channel: u8,
    flags: u8,
    scale: u16,
    raw: u32,
}

fn check(channel: u8, value: u64, expected_channel: u8, expected_value: u64) {
    if (channel, value) != (expected_channel, expected_value) {
        eprintln!("faultlab.Detected: abi-mismatch: C read channel {channel} and value {value} from a reading \
                   Rust built with channel {expected_channel} and value {expected_value}");
        std::process::exit(1);
    }
    println!("channel {channel}: {value}");
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("fixed") {
        let r = CReading { channel: 3, flags: 0, scale: 10, raw: 4_321 };
        let p = &r as *const CReading as *const std::ffi::c_void;
        check(unsafe { reading_channel(p) }, unsafe { reading_value(p) }, r.channel, r.raw as u64 * r.scale as u64);
    } else {
        let r = Reading { channel: 3, flags: 0, scale: 10, raw: 4_321 };
        let p = &r as *const Reading as *const std::ffi::c_void;
        check(unsafe { reading_channel(p) }, unsafe { reading_value(p) }, r.channel, r.raw as u64 * r.scale as u64);
    }
}
