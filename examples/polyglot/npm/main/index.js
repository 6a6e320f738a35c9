// napi-style: the per-platform package carries the build; this one picks it.
module.exports = require(`slipway-polyglot-${process.platform}-${process.arch}`);
