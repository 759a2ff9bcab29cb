use chords::chords;

#[chords]
impl Meeting {
    fn left(&self, x: u32) -> u32;
    fn right(&self, y: u32) -> u32;

    #[chord(left(x) & right(y))]
    fn meet(&self) -> (u32, u32) {
        (y, x)
    }
}

fn main() {
    let m = Meeting::new();
    // `right` is the partner of `left`'s chord: a choice could not undo a
    // firing that took it, so it has no op (rendezvous branches are not
    // supported yet).
    let _ = chords::select! {
        v = m.right(1) => v,
    };
}
