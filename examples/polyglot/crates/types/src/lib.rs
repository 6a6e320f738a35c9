/// A greeting, shared by every binding.
pub struct Greeting(pub &'static str);

pub const HELLO: Greeting = Greeting("hello from polyglot");
