exports.greet = () => "hello from polyglot";
