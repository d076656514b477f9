-- wrk script: log in as the benchmark user as fast as possible (every request runs argon2 on the server).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench","password":"correct horse battery staple"}'
