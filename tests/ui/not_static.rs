use chords::chords;

#[chords]
impl Names {
    async fn put(&self, name: &str);
    fn get(&self) -> &'static str;

    #[chord(get() & put(name))]
    fn deliver(&self) -> &'static str {
        name
    }
}

fn main() {
    let n = Names::new();
    n.put("x");
    let _ = n.get();
}
