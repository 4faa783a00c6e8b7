// Sums numeric records through a C walker that calls back into Rust for each one.
// Rust's rule: a panic may not unwind out of an extern "C" fn into C frames; since Rust 1.81
// the runtime aborts the process instead ("panic in a function that cannot unwind").
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::panic;

extern "C" {
    fn walk_records(records: *const *const c_char, count: c_int,
                    visit: extern "C" fn(*const c_char, *mut c_void) -> c_int, context: *mut c_void) -> c_int;
}

fn number(record: *const c_char) -> i64 {
    let text = unsafe { CStr::from_ptr(record) }.to_str().expect("records are UTF-8");
    text.trim().parse().expect("a record is a number")
}

extern "C" fn add_record(record: *const c_char, context: *mut c_void) -> c_int {
    let total = unsafe { &mut *(context as *mut i64) };
    *total += number(record); // FLAW: the panic of a bad record cannot unwind into walk_records: the process aborts
    0
}

extern "C" fn add_record_or_fail(record: *const c_char, context: *mut c_void) -> c_int {
    let total = unsafe { &mut *(context as *mut i64) };
    match panic::catch_unwind(|| number(record)) { // FIX: the panic stops at the boundary and becomes the status C returns
        Ok(value) => { *total += value; 0 }
        Err(_) => -1,
    }
}

fn main() {
    let fixed = std::env::args().nth(1).as_deref() == Some("fixed");
    let records: Vec<CString> = ["12", "30", "n/a", "5"].iter().map(|r| CString::new(*r).unwrap()).collect();
    let pointers: Vec<*const c_char> = records.iter().map(|r| r.as_ptr()).collect();
    let mut total: i64 = 0;
    let visit = if fixed { add_record_or_fail } else { add_record };
    let status = unsafe { walk_records(pointers.as_ptr(), pointers.len() as c_int, visit, &mut total as *mut i64 as *mut c_void) };
    if status != 0 {
        println!("a record is not a number; the sum of the records before it is {total}");
    } else {
        println!("sum {total}");
    }
}
