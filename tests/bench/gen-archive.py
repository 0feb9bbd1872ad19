"""A long synthetic flow archive in nfdump's CSV form (the columns `nfdump
-o csv` prints, nfdump 1.7.1), for measuring `scanflow hunt`'s memory and
speed on it:

    python3 tests/bench/gen-archive.py DAYS FLOWS_PER_DAY | \
        scanflow hunt --home-net 198.18.0.0/15 --nfdump -

Every flow is a one-packet SYN to 198.18.0.0/16 port 443 from one of a
million outside addresses (benign noise: one or two probes each), and once
an hour a scanner (a fresh address) probes ports 1-100 of one host, one
every 2 s: DAYS * 24 port_scan alerts are expected and nothing else.
Times are UTC text: run hunt with TZ=UTC."""
import random, sys, time

HEADER = ('ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,'
          'sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,'
          'mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,'
          'eng,exid,tr')
TAIL = ',0,0,1,44,0,0,0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,' + ','.join(
    ['00:00:00:00:00:00'] * 4) + ',' + ','.join(['0-0-0'] * 10) + \
    ',0.000,0.000,0.000,127.0.0.1,0/0,1,1970-01-01 00:00:00.000'


def line(t, src, dst, dport):
    ts = time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(t))
    return '%s,%s,0.000,%s,%s,40000,%d,TCP,......S.%s' % (ts, ts, src, dst, dport, TAIL)


def main():
    days, per_day = int(sys.argv[1]), int(sys.argv[2])
    rnd = random.Random(1)
    out = sys.stdout
    out.write(HEADER + '\n')
    t0 = 1767225600                      # 2026-01-01 00:00:00 UTC
    step = 86400.0 / per_day
    scanner = 0
    for i in range(days * per_day):
        t = t0 + int(i * step)
        n = rnd.randrange(1 << 20)
        out.write(line(t, '100.%d.%d.%d' % (64 + (n >> 16), (n >> 8) & 255, n & 255),
                       '198.18.%d.%d' % (rnd.randrange(256), rnd.randrange(1, 255)),
                       443) + '\n')
        # the hour's scanner: 100 ports, one every 2 s, from minute 0
        sec = int(i * step) % 3600
        if sec < 200 and int((i - 1) * step) // 2 != int(i * step) // 2:
            if sec < 2:
                scanner += 1
            src = '203.0.%d.%d' % (scanner // 250 % 256, scanner % 250 + 1)
            out.write(line(t, src, '198.18.99.%d' % (scanner % 250 + 1),
                           sec // 2 + 1) + '\n')


if __name__ == '__main__':
    main()
