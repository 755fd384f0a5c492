#!/usr/bin/env python3
"""tsa-server.py DIR PORTFILE [MODE]: a real RFC 3161 time-stamp authority on
loopback, for the end-to-end tests.

Each POSTed TimeStampReq is answered by `openssl ts -reply` run in DIR with
DIR/tsa.cnf (which names the TSA's certificate and key, made by the test).
The server listens on 127.0.0.1 on a free port, writes the port number to
PORTFILE once it listens, and serves until it is killed or its parent dies.

MODE changes the answer, to test how custody takes a bad TSA:
  good     the TSA's answer (the default)
  reject   a granted-looking HTTP answer whose TimeStampResp says rejection
  garbage  HTTP 200 with bytes that are not DER
  error    HTTP 500
"""
import http.server
import os
import subprocess
import sys
import tempfile

# A TimeStampResp whose PKIStatusInfo is "rejection" (2), with no token.
REJECTION = bytes([0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02])


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body, ctype='application/timestamp-reply'):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        query = self.rfile.read(n) if 0 < n <= 65536 else b''
        mode = self.server.mode
        if mode == 'error':
            return self.answer(500, b'broken\n', 'text/plain')
        if mode == 'garbage':
            return self.answer(200, b'this is not DER\n')
        if mode == 'reject':
            return self.answer(200, REJECTION)
        with tempfile.TemporaryDirectory(dir=self.server.dir) as tmp:
            q = os.path.join(tmp, 'q.tsq')
            r = os.path.join(tmp, 'r.tsr')
            with open(q, 'wb') as f:
                f.write(query)
            p = subprocess.run(['openssl', 'ts', '-reply', '-config',
                                'tsa.cnf', '-queryfile', q, '-out', r],
                               cwd=self.server.dir, capture_output=True)
            if p.returncode != 0:
                return self.answer(500, p.stderr, 'text/plain')
            with open(r, 'rb') as f:
                return self.answer(200, f.read())


def main():
    tsadir, portfile = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else 'good'
    parent = os.getppid()
    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    server.dir = os.path.abspath(tsadir)
    server.mode = mode
    server.timeout = 1
    with open(portfile + '.tmp', 'w') as f:
        f.write('%d\n' % server.server_address[1])
    os.rename(portfile + '.tmp', portfile)
    while os.getppid() == parent:
        server.handle_request()


if __name__ == '__main__':
    main()
