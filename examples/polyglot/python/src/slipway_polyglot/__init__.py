def greet() -> str:
    return "hello from polyglot"
