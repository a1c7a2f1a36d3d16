#!/usr/bin/env python3
"""runner.py - boot one machine (QEMU, Bochs, ...) with a time limit and judge what it printed.

Usage:
  runner.py --name NAME --timeout SEC --log FILE [--results FILE] [--expect-exit N]
            [--ktap-out FILE] [--serial-file FILE] [--strip-prefix STR] [--expect TEXT]...
            [--stop-on TEXT] [--times FILE] [--send 'PATTERN=>TEXT']...
            -- COMMAND...

The command's stdout (the serial console with `-serial stdio` / `-nographic`) is copied to the log;
with --serial-file the console is read from that file instead once the command ends. The run passes
when, within the time limit:
  - no console line contains "PANIC",
  - if the console holds KTAP ("KTAP version 1"): the top-level plan "1..N" is complete and no
    result line says "not ok",
  - every --expect TEXT appears on the console,
  - the exit status equals --expect-exit when given.
With --send, TEXT (backslash escapes allowed: '\x1d' is Ctrl-]) is written to the command's stdin
(the serial line with `-serial stdio`) once PATTERN has appeared on the console after where the
previous --send's PATTERN was found: an operator typing at the console, in order.
It appends `ok NAME` or `not ok NAME - reason` to --results, and one line per KTAP test
(`ok NAME/test`), and writes normalized KTAP verdicts (`ok test` / `not ok test`) to --ktap-out so
that two runs (native and under the VMM) can be compared line for line.
"""
import argparse, os, re, resource, subprocess, sys, time

KTAP_RESULT = re.compile(r'^(\s*)(not ok|ok) (\d+)\s*(?:-\s*)?([^#]*?)\s*(#.*)?$')

def parse_ktap(lines):
    """Returns (found, plan, results) where results is a list of (indent, ok, name, directive)."""
    found, plan, results = False, None, []
    for line in lines:
        if line.strip().startswith('KTAP version'):
            found = True
            continue
        if not found:
            continue
        m = re.match(r'^1\.\.(\d+)\s*$', line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = KTAP_RESULT.match(line)
        if m:
            results.append((len(m.group(1)), m.group(2) == 'ok', m.group(4).strip(), (m.group(5) or '').strip()))
    return found, plan, results

def stop_line_seen(console, text):
    """True once the console holds TEXT and the end of the line it is on (so the whole line is
    in the log when the machine is ended)."""
    if not os.path.exists(console):
        return False
    data = open(console, 'rb').read()
    at = data.find(text.encode())
    return at >= 0 and b'\n' in data[at:]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name', required=True)
    ap.add_argument('--timeout', type=float, required=True)
    ap.add_argument('--log', required=True)
    ap.add_argument('--results')
    ap.add_argument('--expect-exit', type=int)
    ap.add_argument('--ktap-out')
    ap.add_argument('--serial-file')
    ap.add_argument('--strip-prefix', default='')
    ap.add_argument('--expect', action='append', default=[])
    ap.add_argument('--require-ktap', action='store_true', help='fail if no KTAP appears')
    ap.add_argument('--stop-on', help='end the machine once the console shows this text and '
                    'the end of its line (for machines without an exit device, e.g. Bochs)')
    ap.add_argument('--expect-panic', action='store_true',
                    help='the run must end in a VMM panic (tests of the panic path itself)')
    ap.add_argument('--times', help='append "NAME: W s wall clock, C s cpu" (the command\'s user+sys '
                    'time, which other load on the machine does not inflate) to this file')
    ap.add_argument('--send', action='append', default=[],
                    help="'PATTERN=>TEXT': type TEXT once PATTERN is on the console (in order)")
    ap.add_argument('cmd', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ['--'] else a.cmd
    if not cmd:
        ap.error('no command given after --')
    os.makedirs(os.path.dirname(os.path.abspath(a.log)), exist_ok=True)
    if a.serial_file and os.path.exists(a.serial_file):
        os.unlink(a.serial_file)

    sends = []
    for s in a.send:
        if '=>' not in s:
            ap.error("--send wants 'PATTERN=>TEXT'")
        pat, text = s.split('=>', 1)
        sends.append((pat.encode(), text.encode().decode('unicode_escape').encode('latin-1')))
    start = time.monotonic()
    timed_out = False
    with open(a.log, 'wb') as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.PIPE if sends else subprocess.DEVNULL, start_new_session=True)
        console = a.serial_file if a.serial_file else a.log
        status = None
        seen = 0                              # console offset after the last --send's PATTERN
        while status is None:
            try:
                status = p.wait(timeout=0.2 if sends else 0.5)
            except subprocess.TimeoutExpired:
                if sends and os.path.exists(console):
                    at = open(console, 'rb').read().find(sends[0][0], seen)
                    if at >= 0:
                        seen = at + len(sends[0][0])
                        try:
                            p.stdin.write(sends[0][1])
                            p.stdin.flush()
                        except OSError:
                            pass
                        sends.pop(0)
                if a.stop_on and stop_line_seen(console, a.stop_on):
                    os.killpg(p.pid, 9)
                    p.wait()
                    status = 'stopped'
                elif time.monotonic() - start > a.timeout:
                    timed_out = True
                    os.killpg(p.pid, 9)
                    p.wait()
                    status = 'timeout'
    elapsed = time.monotonic() - start
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru.ru_utime + ru.ru_stime

    console = a.serial_file if a.serial_file else a.log
    text = open(console, 'rb').read().decode('utf-8', 'replace') if os.path.exists(console) else ''
    if a.serial_file:
        with open(a.log, 'a') as log:
            log.write('\n--- serial (%s) ---\n' % a.serial_file + text)
    lines = [l.rstrip('\r') for l in text.split('\n')]
    if a.strip_prefix:
        lines = [l[len(a.strip_prefix):] if l.startswith(a.strip_prefix) else l for l in lines]

    reasons = []
    if timed_out:
        reasons.append('timeout after %ds' % a.timeout)
    panics = [l for l in lines if 'PANIC' in l]
    if panics and not a.expect_panic:
        reasons.append('panic: ' + panics[0].strip()[:120])
    if a.expect_panic and not panics:
        reasons.append('expected a panic, none seen')
    found, plan, results = parse_ktap(lines)
    top = [r for r in results if r[0] == 0]
    if found:
        if plan is None:
            reasons.append('KTAP without a plan line')
        elif len(top) != plan:
            reasons.append('KTAP plan 1..%d but %d results' % (plan, len(top)))
        bad = [r[2] for r in results if not r[1] and 'SKIP' not in r[3].upper()]
        if bad:
            reasons.append('%d KTAP failures (%s)' % (len(bad), ', '.join(bad[:5])))
    elif a.require_ktap:
        reasons.append('no KTAP output')
    for e in a.expect:
        if not any(e in l for l in lines):
            reasons.append('missing expected text %r' % e)
    if a.expect_exit is not None and not timed_out and status != 'stopped' and status != a.expect_exit:
        reasons.append('exit status %d, expected %d' % (status, a.expect_exit))

    verdict = 'ok' if not reasons else 'not ok'
    summary = '%s %s' % (verdict, a.name) + ('' if not reasons else ' - ' + '; '.join(reasons))
    if a.results:
        os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
        with open(a.results, 'a') as r:
            for ind, ok, name, d in results:
                if ind == 0:
                    r.write('%s %s/%s\n' % ('ok' if ok else 'not ok', a.name, name))
            r.write(summary + '\n')
    if a.ktap_out:
        with open(a.ktap_out, 'w') as k:
            for ind, ok, name, d in results:
                k.write('%s%s %s\n' % (' ' * ind, 'ok' if ok else 'not ok', name))
    if a.times:
        with open(a.times, 'a') as t:
            t.write('%s: %.1f s wall clock, %.1f s cpu\n' % (a.name, elapsed, cpu))
    print('%s  (%.1f s, log %s)' % (summary, elapsed, a.log))
    return 0 if not reasons else 1

if __name__ == '__main__':
    sys.exit(main())
