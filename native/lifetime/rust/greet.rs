// Hands a Rust string to a C library that keeps the pointer, then asks it to greet.
// Rust's rule: CString::as_ptr borrows from the CString; the pointer is valid only while
// that CString lives, and a temporary dies at the end of its statement.
use std::ffi::{c_char, CStr, CString};

extern "C" {
    fn greeter_set_name(name: *const c_char);
    fn greeter_greet(out: *mut c_char, size: usize) -> usize;
}

fn greeting() -> String {
    let mut out = [0 as c_char; 64];
    unsafe { greeter_greet(out.as_mut_ptr(), out.len()) };
    unsafe { CStr::from_ptr(out.as_ptr()) }.to_string_lossy().into_owned()
}

fn main() {
    let name = String::from("Ferris the crab");
    if std::env::args().nth(1).as_deref() == Some("fixed") {
        let kept = CString::new(name).unwrap(); // FIX: the CString lives as long as C may read the pointer
        unsafe { greeter_set_name(kept.as_ptr()) };
        println!("{}", greeting());
    } else {
        #[allow(dangling_pointers_from_temporaries, temporary_cstring_as_ptr)]
        let pointer = CString::new(name).unwrap().as_ptr(); // FLAW: the temporary CString is freed at the end of this line
        unsafe { greeter_set_name(pointer) };
        println!("{}", greeting());
    }
}
