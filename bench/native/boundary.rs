//! The boundary bench's Rust child: `extern "C"` calls to bl_add_one and bl_sum (no crates),
//! each loop timed with std::time::Instant after a warm-up round, printing the one JSON line
//! every runtime's child prints (see boundary_driver.c). black_box keeps the optimiser from
//! hoisting or dropping the calls; the functions live in a shared library, so nothing inlines.
//!     boundary CALLS ROUNDS WARMUP MAX_BATCH ITEMS
use std::hint::black_box;
use std::time::Instant;

#[link(name = "boundary")]
extern "C" {
    fn bl_add_one(x: i32) -> i32;
    fn bl_sum(xs: *const i32, n: usize) -> i64;
}

fn samples(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("{v:.4}")).collect();
    format!("[{}]", items.join(", "))
}

fn main() {
    let args: Vec<i64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("usage: boundary CALLS ROUNDS WARMUP MAX_BATCH ITEMS"))
        .collect();
    let (calls, rounds, warmup, max_batch, items) = (args[0], args[1], args[2], args[3] as usize, args[4]);
    let xs: Vec<i32> = (0..max_batch).map(|i| (i % 1000) as i32).collect();
    let mut per_call = Vec::new();
    let mut per_item: Vec<(usize, Vec<f64>)> = Vec::new();
    let mut check: i64 = 0;
    for r in -warmup..rounds {
        let start = Instant::now();
        for i in 0..calls {
            check += unsafe { bl_add_one(black_box(i as i32)) } as i64;
        }
        if r >= 0 {
            per_call.push(start.elapsed().as_nanos() as f64 / calls as f64);
        }
        let (mut n, mut k) = (1usize, 0usize);
        while n <= max_batch {
            let reps = (items / n as i64).max(1);
            let start = Instant::now();
            for _ in 0..reps {
                check += unsafe { bl_sum(black_box(xs.as_ptr()), black_box(n)) };
            }
            if r >= 0 {
                if per_item.len() <= k {
                    per_item.push((n, Vec::new()));
                }
                per_item[k].1.push(start.elapsed().as_nanos() as f64 / (reps as f64 * n as f64));
            }
            n *= 2;
            k += 1;
        }
    }
    let batches: Vec<String> = per_item.iter().map(|(n, s)| format!("\"{n}\": {}", samples(s))).collect();
    println!("{{\"per_call\": {}, \"per_item\": {{{}}}, \"check\": {check}}}", samples(&per_call), batches.join(", "));
}
