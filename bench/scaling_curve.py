#!/usr/bin/env python3
"""The scaling curve of issue 16: port plug and unplug, ListVms, one CreateVm
(against libvirt's own define) and the restart reconcile at growing sizes, each run on its own testbed by the release benches
(agent_api_bench, read_path_bench). Writes scaling.json, a Markdown table and a
PNG (gnuplot) of the cost per item: a flat line is linear growth.

    bench/scaling_curve.py [--sizes 100,1000,4000] [--bench-dir build/release/bench]
                           [--out build/release/bench/scaling]
"""
import argparse
import json
import os
import subprocess
import sys


def run(args, log):
    print("+", " ".join(args), file=sys.stderr, flush=True)
    with open(log, "w") as out:
        done = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        sys.exit(f"scaling_curve: {args[0]} failed ({done.returncode}); its output: {log}")


def figure(report, name):
    for f in report["figures"]:
        if f["figure"] == name:
            return f["agent"]
    sys.exit(f"scaling_curve: no figure '{name}' in the agent bench's JSON")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,4000")
    parser.add_argument("--bench-dir", default="build/release/bench")
    parser.add_argument("--out", default="build/release/bench/scaling")
    o = parser.parse_args()
    sizes = [int(s) for s in o.sizes.split(",")]
    os.makedirs(o.out, exist_ok=True)

    rows = []
    for n in sizes:
        # n ports through the API (no ovs-vsctl loop: the floor is the one
        # transaction), n/10 idle VMs with 2 NICs each, then a restart on them.
        path = os.path.join(o.out, f"agent_{n}.json")
        vms = max(2, n // 10)
        run([os.path.join(o.bench_dir, "agent_api_bench"), "--ports", str(n), "--loop", "0",
             "--vms", str(vms), "--starts", "1", "--events", "5",
             "--mixed-seconds", "0", "--json", path], path + ".log")
        report = json.load(open(path))
        ports = report["details"]["ports"]
        rows.append({
            "n": n,
            "plug_s": ports["api_add_ms"] / 1000,
            "plug_floor_s": ports["floor_add_ms"] / 1000,
            "unplug_s": ports["api_del_ms"] / 1000,
            "unplug_floor_s": ports["floor_del_ms"] / 1000,
            # The agent's own CPU per port: flat if the agent's work is linear,
            # whatever ovs-vswitchd's reconfigurations cost.
            "plug_cpu_ms": ports["api_add_cpu_ms"] / n,
            "unplug_cpu_ms": ports["api_del_cpu_ms"] / n,
            "restart_ms": report["details"]["restart"]["serving_ms"],
            # What the agent keeps with the ports and VMs (read 12 s after its
            # restart), and the most it had while the VMs started and stopped
            # (VmHWM: the transient, docs/performance.md).
            "rss_mib": figure(report, "hvagentd RSS 12 s after restart"),
            "rss_peak_mib": figure(report, "hvagentd peak RSS (VmHWM) during VM starts and events"),
        })

    # ListVms of every page at each size, on one growing host.
    path = os.path.join(o.out, "read_path.json")
    run([os.path.join(o.bench_dir, "read_path_bench"), str(sizes[0]),
         ",".join(str(n) for n in sizes), path], path + ".log")
    by_size = {s["vms"]: s for s in json.load(open(path))["scaling"]}
    for row in rows:
        at = by_size[row["n"]]
        row["list_vms_ms"] = at["list_vms"]["p50_ms"]
        # One CreateVm with n VMs defined, and libvirt's define of the same.
        row["create_ms"] = at["create_one"]["p50_ms"]
        row["define_ms"] = at["libvirt_define_one"]["p50_ms"]

    json.dump(rows, open(os.path.join(o.out, "scaling.json"), "w"), indent=1)
    table = ["| n | port plug (API) | floor | port unplug (API) | floor | ListVms, all pages, n VMs "
             "| one CreateVm with n VMs (libvirt's define) "
             "| agent CPU per port, plug / unplug "
             "| restart to SERVING (n ports, n/10 VMs) | RSS kept (peak, VmHWM, during the VMs' starts) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append(
            f"| {r['n']} | {r['plug_s']:.2f} s ({1000 * r['plug_s'] / r['n']:.2f} ms/port) "
            f"| {r['plug_floor_s']:.2f} s | {r['unplug_s']:.2f} s "
            f"({1000 * r['unplug_s'] / r['n']:.2f} ms/port) | {r['unplug_floor_s']:.2f} s "
            f"| {r['list_vms_ms']:.1f} ms ({r['list_vms_ms'] / r['n']:.3f} ms/VM) "
            f"| {r['create_ms']:.1f} ms ({r['define_ms']:.1f} ms) "
            f"| {r['plug_cpu_ms']:.2f} / {r['unplug_cpu_ms']:.2f} ms "
            f"| {r['restart_ms']:.0f} ms | {r['rss_mib']:.1f} MiB ({r['rss_peak_mib']:.1f} MiB) |")
    open(os.path.join(o.out, "scaling.md"), "w").write("\n".join(table) + "\n")
    print("\n".join(table))

    # Cost per item against n: flat is linear, rising is worse than linear.
    data = os.path.join(o.out, "scaling.dat")
    with open(data, "w") as f:
        for r in rows:
            f.write(f"{r['n']} {1000 * r['plug_s'] / r['n']} {1000 * r['plug_floor_s'] / r['n']} "
                    f"{1000 * r['unplug_s'] / r['n']} {1000 * r['unplug_floor_s'] / r['n']} "
                    f"{r['list_vms_ms'] / r['n']} {r['restart_ms'] / r['n']} "
                    f"{r['create_ms']} {r['define_ms']} {r['plug_cpu_ms']} {r['unplug_cpu_ms']}\n")
    png = os.path.join(o.out, "scaling.png")
    script = f"""
set terminal pngcairo size 1000,420 font ',10'
set output '{png}'
set logscale xy
set xlabel 'n (ports; VMs for ListVms and CreateVm)'
set ylabel 'ms per item (log)'
set key outside right
set grid
set xtics ({",".join(str(n) for n in sizes)})
set title 'hvagent: cost per item against n (flat = linear growth)'
plot '{data}' using 1:2 with linespoints title 'port plug (API)', \\
     '' using 1:3 with linespoints dt 2 title 'port plug floor (one ovs-vsctl)', \\
     '' using 1:4 with linespoints title 'port unplug (API)', \\
     '' using 1:5 with linespoints dt 2 title 'port unplug floor', \\
     '' using 1:6 with linespoints title 'ListVms, all pages, per VM', \\
     '' using 1:7 with linespoints title 'restart to SERVING, per port', \\
     '' using 1:8 with linespoints title 'one CreateVm (n VMs)', \\
     '' using 1:9 with linespoints dt 2 title "libvirt's define of it", \\
     '' using 1:10 with linespoints title "agent CPU per port, plug", \\
     '' using 1:11 with linespoints title "agent CPU per port, unplug"
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print(f"\nJSON, table and plot: {o.out}/scaling.{{json,md,png}}")


if __name__ == "__main__":
    main()
