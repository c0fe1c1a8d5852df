"""A tiny market-data client for feed_test.sh (Python standard library only): connects to
`keel feed` over plain TCP or WebSocket, prints every message it receives on its own line until
the server ends the stream, then closes."""
import base64
import os
import socket
import struct
import sys


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed inside a frame")
        data += chunk
    return data


def tcp(host, port):
    with socket.create_connection((host, port), timeout=60) as sock:
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    sys.stdout.write(b"".join(chunks).decode())


def ws(host, port):
    with socket.create_connection((host, port), timeout=60) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /feed HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            response += read_exact(sock, 1)
        if not response.startswith(b"HTTP/1.1 101"):
            raise SystemExit("no WebSocket upgrade: " + response.decode(errors="replace"))
        while True:
            b0, b1 = read_exact(sock, 2)
            opcode, length = b0 & 0x0F, b1 & 0x7F
            if length == 126:
                length = struct.unpack(">H", read_exact(sock, 2))[0]
            elif length == 127:
                length = struct.unpack(">Q", read_exact(sock, 8))[0]
            payload = read_exact(sock, length)
            if opcode == 0x8:  # close: answer it (masked, as a client must) and stop
                mask = os.urandom(4)
                body = payload[:2]
                sock.sendall(bytes([0x88, 0x80 | len(body)]) + mask +
                             bytes(c ^ mask[i % 4] for i, c in enumerate(body)))
                break
            if opcode == 0x1:
                if not b0 & 0x80:
                    raise SystemExit("fragmented message")
                sys.stdout.write(payload.decode() + "\n")


if __name__ == "__main__":
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    (ws if mode == "ws" else tcp)(host, port)
