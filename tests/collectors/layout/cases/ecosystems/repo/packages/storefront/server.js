const http = require("http");
// app.listen(3000) was the express version
http.createServer((req, res) => res.end("ok")).listen(Number(process.env.PORT || 3000));
