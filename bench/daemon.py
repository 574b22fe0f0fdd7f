#!/usr/bin/env python3
"""Daemon throughput: swamp serve against SpamAssassin's spamd (and rspamd
when installed), same machine, same run, same messages, same rules.

Each daemon is started privately on loopback with SpamAssassin's stock
ruleset, network tests off, and Bayes trained on the whole corpus first
(swamp learn, sa-learn; --no-bayes turns it off); a load generator (bench/loadgen.c, compiled
here with `cc`; Python threads with --python-client or without a compiler)
sends every message through the spamd protocol (PROCESS, as spamc does for
maildrop) at each concurrency, a connection per message, and reports messages/second, p50/p99 latency, the daemon's
CPU-seconds per message (from /proc, summed over its process tree) and its
peak memory (PSS, summed over the tree), and the load generator's own CPU
a message (it shares the cores with the daemon it measures). Each
concurrency is measured in rounds (`--rounds`, 3), the daemons taking
turns round by round, and the median round's messages/second is reported
with the range of all rounds: this machine's pace drifts by a fifth
within minutes, which a single run of each daemon in turn put on one
daemon's figures alone.

    bench/daemon.py [--swamp .build/release/swamp] [--corpus ../shared/corpora/spam]
                    [--messages 200] [--concurrency 1,2,8] [--rounds 3] [--json]

rspamd (Debian's package, its own rules, the same network modules off) is
measured through its HTTP API (/checkv2) when `rspamd` is on PATH.

`--only swamp --swamp-network` load-tests swamp's default mode instead:
network checks on, against a stub DNS server on loopback that answers at
once (NXDOMAIN, a third SERVFAIL). That path crashed under load once (a
Swift optimiser bug around a failing lookup) while `--local` ran clean.
"""
import argparse, json, os, random, resource, shutil, signal, socket, statistics, struct, subprocess, sys, tempfile, threading, time, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("daemon did not start listening")


def tree(pid):
    """pid and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def cpu_seconds(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # utime + stime, and cutime + cstime: children that exited
            # (spamd replaces its children) and were reaped count too.
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def pss_kib(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class PeakMemory(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, pss_kib(self.pid))
            self.stop.wait(0.25)


class StubDNS(threading.Thread):
    """A DNS server on loopback for `--swamp-network`: every question gets
    an answer at once, NXDOMAIN, or SERVFAIL for one name in three (chosen
    by the name), so lookups both succeed and fail as they do in real mail
    flow, and none waits for a timeout."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def run(self):
        while True:
            query, peer = self.sock.recvfrom(4096)
            if len(query) < 17:
                continue
            end = 12
            while end < len(query) and query[end] != 0:
                end += 1 + query[end]
            if end + 5 > len(query):
                continue
            failed = zlib.crc32(query[12:end].lower()) % 3 == 0
            flags = 0x8182 if failed else 0x8183  # response, RD+RA, SERVFAIL or NXDOMAIN
            self.sock.sendto(query[:2] + struct.pack(">HHHHH", flags, 1, 0, 0, 0) + query[12:end + 5], peer)


def exchange(port, request, half_close):
    """Sends one request on a connection of its own and reads the reply
    until the server closes; `half_close` ends the sending side first, as
    spamc does (rspamd takes that for the client leaving)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    s.sendall(request)
    if half_close:
        s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out


def spamd_request(port, message):
    out = exchange(port, b"PROCESS SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(message) + message, half_close=True)
    if not out.startswith(b"SPAMD/1.1 0 EX_OK"):
        raise RuntimeError(out[:200])


def rspamd_request(port, message):
    # The same plain socket as for spamd: urllib's per-request machinery
    # cost the shared cores several times what the spamd client does, and
    # slowed rspamd's measured rate.
    out = exchange(port, b"POST /checkv2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % len(message) + message, half_close=False)
    if not out.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(out[:200])


def load(send, messages, concurrency):
    """Sends every message once over `concurrency` workers; latencies in s."""
    latencies, lock, index = [], threading.Lock(), [0]

    def worker():
        while True:
            with lock:
                i = index[0]
                index[0] += 1
            if i >= len(messages):
                return
            t = time.perf_counter()
            send(messages[i])
            with lock:
                latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, sorted(latencies)


class Client:
    """Sends the measured load: bench/loadgen.c compiled into `work` when a
    C compiler is here (it costs the shared cores a fraction of what
    Python's threads do), else the Python threads of `load`."""

    def __init__(self, work, messages, python_only):
        self.loadgen, self.files = None, []
        source = os.path.join(ROOT, "bench/loadgen.c")
        binary = os.path.join(work, "loadgen")
        if not python_only and shutil.which("cc") and subprocess.call(["cc", "-O2", "-pthread", "-o", binary, source]) == 0:
            self.loadgen = binary
            folder = os.path.join(work, "messages")
            os.makedirs(folder)
            for n, m in enumerate(messages):
                path = os.path.join(folder, f"{n}.eml")
                with open(path, "wb") as f:
                    f.write(m)
                self.files.append(path)
        else:
            print("load generator: Python threads (no C compiler, or --python-client)", file=sys.stderr)

    def run(self, protocol, port, send, messages, concurrency):
        """(elapsed s, sorted latencies s, client CPU s)."""
        if not self.loadgen:
            own = time.process_time()
            elapsed, lat = load(send, messages, concurrency)
            return elapsed, lat, time.process_time() - own
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([self.loadgen, protocol, str(port), str(concurrency)],
                             input="".join(f + "\n" for f in self.files).encode(),
                             stdout=subprocess.PIPE, check=True).stdout.split()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return float(out[0]), sorted(float(x) for x in out[1:]), cpu


class Target:
    """One daemon under test: warmed up once, then measured in rounds that
    alternate with the other daemons' (see `measure_all`)."""

    def __init__(self, name, proc, client, protocol, port, send, messages, warmup):
        self.name, self.proc, self.client, self.protocol, self.port, self.send = name, proc, client, protocol, port, send
        self.messages = messages
        self.rounds = {}  # concurrency -> [(elapsed, latencies, cpu, client_cpu, peak_kib)]
        # Warm up, the same for every daemon: the first messages pay for lazy
        # set-up (swamp compiles a rule's regex to machine code once it has
        # been searched 16 times; spamd's and rspamd's children load on demand).
        for m in messages[:max(1, warmup)]:
            send(m)

    def round(self, c):
        memory = PeakMemory(self.proc.pid)
        memory.start()
        cpu0 = cpu_seconds(self.proc.pid)
        elapsed, lat, client_cpu = self.client.run(self.protocol, self.port, self.send, self.messages, c)
        cpu = cpu_seconds(self.proc.pid) - cpu0
        memory.stop.set()
        memory.join()
        self.rounds.setdefault(c, []).append((elapsed, lat, cpu, client_cpu, memory.peak))
        print(f"  {self.name} c={c}: {len(self.messages) / elapsed:.1f} msg/s", file=sys.stderr)

    def row(self, c):
        rounds = self.rounds[c]
        n = len(self.messages)
        rates = sorted(n / r[0] for r in rounds)
        lat = sorted(x for r in rounds for x in r[1])
        return {
            "daemon": self.name, "concurrency": c, "messages": n, "rounds": len(rounds),
            # The median round: the machine's pace drifts by a fifth within
            # minutes, and every daemon's rounds take turns with the others'.
            "messages_per_second": statistics.median(rates),
            "messages_per_second_rounds": rates,
            "p50_ms": lat[len(lat) // 2] * 1000, "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
            "cpu_ms_per_message": sum(r[2] for r in rounds) * 1000 / (n * len(rounds)),
            "peak_pss_mib": max(r[4] for r in rounds) / 1024,
            "client_cpu_ms_per_message": sum(r[3] for r in rounds) * 1000 / (n * len(rounds)),
        }


def measure_all(targets, levels, rounds):
    """Every concurrency, `rounds` times over, each round sending the
    messages to each daemon in turn: a stretch when the machine runs slow
    (it shares its host) then falls on all of them alike, instead of on
    whichever daemon was being measured."""
    for c in levels:
        for _ in range(rounds):
            for t in targets:
                t.round(c)
    return [t.row(c) for t in targets for c in levels]


def bayes_settings(dir, name):
    """Bayes on (trained by `train`) or off; never autolearning, so that
    every daemon scores every message against the same training."""
    if dir is None:
        return "use_bayes 0\nbayes_auto_learn 0\n"
    return f"use_bayes 1\nbayes_auto_learn 0\nbayes_path {os.path.join(dir, name)}\nbayes_file_mode 0666\n"


def stock_config(dir, bayes_dir):
    path = os.path.join(dir, "stock.cf")
    with open(path, "w") as f:
        for pre in sorted(p for p in os.listdir("/etc/spamassassin") if p.endswith(".pre")):
            f.write(f"include /etc/spamassassin/{pre}\n")
        f.write("rules_dir /usr/share/spamassassin\n")
        for cf in sorted(p for p in os.listdir("/etc/spamassassin") if p.endswith(".cf")):
            f.write(f"include /etc/spamassassin/{cf}\n")
        f.write(bayes_settings(bayes_dir, "swamp-bayes.sqlite"))
    return path


def train(command, corpus, what, verbs=None):
    """Learns the corpus's spam/ and ham/ folders with `command` (swamp learn,
    sa-learn or rspamc, with their configuration), timed for the record."""
    start = time.time()
    for sub, flag in (("spam", "--spam"), ("ham", "--ham")):
        d = os.path.join(corpus, sub)
        if os.path.isdir(d):
            subprocess.check_call(command + [(verbs or {}).get(flag, flag), d], stdout=subprocess.DEVNULL)
    print(f"  {what} trained in {time.time() - start:.1f} s", file=sys.stderr)


# rspamd modules that ask the network (DNS lists, SPF, DKIM, DMARC, HELO and
# host name lookups, fuzzy
# hashes, updates) or need Redis; turned off so that both daemons do local
# work only.
RSPAMD_NETWORK_MODULES = ["asn", "dkim", "dmarc", "rbl", "spf", "fuzzy_check", "rspamd_update", "url_redirector",
                          "dcc", "external_services", "antivirus", "mx_check", "emails", "arc", "greylist",
                          "ratelimit", "neural", "reputation", "replies", "history_redis", "bimi", "hfilter",
                          "once_received", "phishing"]


def rspamd_command(work, port, controller, redis_port):
    """rspamd with Debian's configuration, its normal worker on `port`, its
    controller (which learns) on `controller`, the proxy on a free port, the
    network modules off and DNS pointed at a closed loopback port (fails at
    once), all state in a private folder. With `redis_port`, its Bayes
    classifier keeps its tokens in that Redis (autolearn stays off, as
    Debian ships it)."""
    local = os.path.join(work, "rspamd")
    for sub in ("local.d", "override.d", "db", "run", "log"):
        os.makedirs(os.path.join(local, sub))
    def write(name, text):
        with open(os.path.join(local, name), "w") as f:
            f.write(text)
    write("override.d/worker-normal.inc", f'bind_socket = "127.0.0.1:{port}";\n')
    write("override.d/worker-controller.inc", f'bind_socket = "127.0.0.1:{controller}";\n')
    if redis_port:
        write("local.d/classifier-bayes.conf", f'backend = "redis";\nservers = "127.0.0.1:{redis_port}";\n')
    write("override.d/worker-proxy.inc", f'bind_socket = "127.0.0.1:{free_port()}";\n')
    write("local.d/options.inc", 'dns { nameserver = ["127.0.0.1:9"]; timeout = 0.1s; retransmits = 1; }\n')
    for module in RSPAMD_NETWORK_MODULES:
        write(f"override.d/{module}.conf", "enabled = false;\n")
    subprocess.check_call(["chown", "-R", "_rspamd:_rspamd", local])
    return ["rspamd", "-f", "-u", "_rspamd", "-g", "_rspamd", "-c", "/etc/rspamd/rspamd.conf",
            f"--var=LOCAL_CONFDIR={local}", f"--var=DBDIR={local}/db", f"--var=RUNDIR={local}/run",
            f"--var=LOGDIR={local}/log"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--swamp", default=os.path.join(ROOT, ".build/release/swamp"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "../shared/corpora/spam"))
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--concurrency", default="1,2,8")
    ap.add_argument("--warmup", type=int, default=50,
                    help="messages sent to each daemon before measuring (not counted; default 50)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="times each daemon is measured at each concurrency, its rounds alternating with the "
                         "other daemons'; the median round's msg/s is reported (default 3)")
    ap.add_argument("--only", default="swamp,spamd,rspamd")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--python-client", action="store_true",
                    help="send the load from Python threads instead of bench/loadgen.c")
    ap.add_argument("--swamp-network", action="store_true",
                    help="swamp with its network checks on (SPF, DKIM, DNS lists, rDNS), asking a stub DNS "
                         "server on loopback that answers every question at once, a third of them SERVFAIL "
                         "(a load test of that path; spamd and rspamd keep theirs off)")
    ap.add_argument("--no-bayes", action="store_true",
                    help="Bayes off (default: each daemon learns the whole corpus first; rspamd's "
                         "Bayes keeps its tokens in a private redis-server, off when Redis is not installed)")
    args = ap.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    files = []
    for sub in ("spam", "ham"):
        d = os.path.join(args.corpus, sub)
        if os.path.isdir(d):
            files += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    random.Random(1).shuffle(files)
    messages = []
    for path in files[: args.messages]:
        with open(path, "rb") as f:
            data = f.read()
        if len(data) < 500_000:
            messages.append(data)
    print(f"{len(messages)} messages from {args.corpus}", file=sys.stderr)

    work = tempfile.mkdtemp(prefix="swamp-bench-")
    os.chmod(work, 0o755)  # spamd's children run as nobody and read the site config here
    rows, procs, targets = [], [], []
    only = args.only.split(",")
    client = Client(work, messages, args.python_client)
    bayes_dir = None
    if not args.no_bayes:
        bayes_dir = os.path.join(work, "bayes")
        os.makedirs(bayes_dir)
        os.chmod(bayes_dir, 0o777)  # spamd's children learn nothing but open the files as nobody
    try:
        if "swamp" in only:
            port = free_port()
            config = stock_config(work, bayes_dir)
            if bayes_dir:
                train([args.swamp, "learn", "--config", config], args.corpus, "swamp")
            network = []
            if args.swamp_network:
                dns = StubDNS()
                dns.start()
                with open(config, "a") as f:
                    f.write(f"dns_server 127.0.0.1:{dns.port}\n")
            else:
                network = ["--local"]
            p = subprocess.Popen([args.swamp, "serve"] + network + ["--config", config, "--listen", f"127.0.0.1:{port}",
                                  "--max-children", str(max(levels)), "--exit-on-stdin-eof", "--log-level", "notice"],
                                 stdin=subprocess.PIPE, stderr=subprocess.PIPE)
            procs.append(p)
            # The daemon serves at once and compiles its Hyperscan stage on
            # a thread of its own (from ~/.cache/swamp: milliseconds); the
            # measurement starts once that stage is in place.
            ready = threading.Event()
            def relay(stream=p.stderr):
                for line in iter(stream.readline, b""):
                    sys.stderr.write(line.decode("utf-8", "replace"))
                    if b"multi-pattern stage ready" in line:
                        ready.set()
            threading.Thread(target=relay, daemon=True).start()
            wait_port(port, p, 120)
            if not ready.wait(300):
                print("swamp: no multi-pattern stage after 300 s; measuring without it", file=sys.stderr)
            targets.append(Target("swamp+dns" if args.swamp_network else "swamp", p, client, "spamd", port,
                                  lambda m, port=port: spamd_request(port, m), messages, args.warmup))
        if "spamd" in only:
            port = free_port()
            site = os.path.join(work, "site")
            os.makedirs(site)
            with open(os.path.join(site, "local.cf"), "w") as f:
                f.write(bayes_settings(bayes_dir, "sa/bayes"))
            for name in os.listdir("/etc/spamassassin"):
                if name.endswith(".pre"):
                    os.symlink(f"/etc/spamassassin/{name}", os.path.join(site, name))
            if bayes_dir:
                train(["sa-learn", "--siteconfigpath", site], args.corpus, "SpamAssassin")
                subprocess.check_call(["chmod", "-R", "a+rwX", bayes_dir])
            p = subprocess.Popen(["/usr/sbin/spamd", "-L", "-x", "--siteconfigpath", site, "--listen", f"127.0.0.1:{port}",
                                  "-m", str(max(levels)), "--min-children", str(max(levels)), "-s", "stderr",
                                  "--pidfile", os.path.join(work, "spamd.pid")], stderr=open(os.path.join(ROOT, "bench/out/spamd.log") if os.path.isdir(os.path.join(ROOT, "bench/out")) else os.devnull, "w"))
            procs.append(p)
            wait_port(port, p, 300)
            targets.append(Target("spamd", p, client, "spamd", port, lambda m, port=port: spamd_request(port, m),
                                  messages, args.warmup))
        if "rspamd" in only and subprocess.call(["sh", "-c", "command -v rspamd"], stdout=subprocess.DEVNULL) == 0:
            port, controller, redis_port = free_port(), free_port(), None
            if bayes_dir and subprocess.call(["sh", "-c", "command -v redis-server"], stdout=subprocess.DEVNULL) == 0:
                redis_port = free_port()
                r = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
                procs.append(r)
                wait_port(redis_port, r, 30)
            p = subprocess.Popen(rspamd_command(work, port, controller, redis_port),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            wait_port(port, p, 120)
            wait_port(controller, p, 120)
            if redis_port:
                train(["rspamc", "-h", f"127.0.0.1:{controller}", "-P", "q1", "-n", "4"], args.corpus, "rspamd",
                      verbs={"--spam": "learn_spam", "--ham": "learn_ham"})
            targets.append(Target("rspamd", p, client, "rspamd", port, lambda m, port=port: rspamd_request(port, m),
                                  messages, args.warmup))
        rows = measure_all(targets, levels, args.rounds)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        subprocess.call(["rm", "-rf", work])

    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"| daemon | concurrency | msg/s (median) | rounds' msg/s | p50 ms | p99 ms | CPU ms/msg | peak PSS MiB | "
          f"client CPU ms/msg |")
    print(f"|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        spread = "–".join(f"{x:.0f}" for x in (r["messages_per_second_rounds"][0], r["messages_per_second_rounds"][-1]))
        print(f"| {r['daemon']} | {r['concurrency']} | {r['messages_per_second']:.1f} | {spread} | {r['p50_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {r['cpu_ms_per_message']:.1f} | {r['peak_pss_mib']:.0f} | "
              f"{r['client_cpu_ms_per_message']:.2f} |")
    spamd = {r["concurrency"]: r for r in rows if r["daemon"] == "spamd"}
    rspamd = {r["concurrency"]: r for r in rows if r["daemon"] == "rspamd"}
    for r in rows:
        if not r["daemon"].startswith("swamp"):
            continue
        c, parts = r["concurrency"], []
        if c in spamd:
            b = spamd[c]
            parts.append(f"swamp/spamd {r['messages_per_second'] / b['messages_per_second']:.1f}x msg/s, "
                         f"swamp p99 {r['p99_ms']:.0f} ms vs spamd p50 {b['p50_ms']:.0f} ms, "
                         f"PSS {r['peak_pss_mib'] / max(b['peak_pss_mib'], 1):.2f}x spamd's")
        if c in rspamd:
            parts.append(f"swamp/rspamd {r['messages_per_second'] / rspamd[c]['messages_per_second']:.1f}x msg/s")
        if parts:
            print(f"c={c}: " + "; ".join(parts))


if __name__ == "__main__":
    main()
