pub fn greet() -> &'static str {
    slipway_polyglot_types::HELLO.0
}
