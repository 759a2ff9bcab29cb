use chords::chords;

#[chords]
impl Exchanger {
    fn meet(&self, id: Vec<u8>) -> Vec<u8>;

    #[chord([meet(ids); 2])]
    fn rotate() {
        let _ = ids;
    }
}

fn main() {
    let x = Exchanger::new();
    let _ = x.meet(Vec::new());
}
