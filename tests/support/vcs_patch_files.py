#!/usr/bin/python3
"""The files Mercurial and git would write for a patch, as they read it.

The oracle of the patch differential test (tests/integration and the
fuzz_patch_differential target): for each patch, Mercurial's own `hg import`
reading (mercurial.patch.extract, then the same iterhunks its import applies)
and `git apply --numstat`, each on the whole attachment and on the diff part
autoland hands over. Nothing is applied.

Protocol on stdin/stdout, one patch at a time: "<n>\\n" then n bytes of the
whole attachment, "<m>\\n" then m bytes of its diff part; answers one JSON
line {"hg_whole": [...], "hg_diff": [...], "git_whole": [...], "git_diff":
[...]}, where a list holds each file name's bytes in hex (names need not be
UTF-8) and is null when that tool refuses the patch.
Needs /usr/bin/python3 (Debian's hg lives in its dist-packages) and git.
"""
import io
import json
import os
import subprocess
import sys
import tempfile
import traceback

from mercurial import hg, patch, ui as uimod


def hg_files(ui, repo, data):
    try:
        with patch.extract(ui, io.BytesIO(data)) as extracted:
            name = extracted.get(b'filename')
            if not name:
                return []
            return sorted(f.hex() for f in patch.changedfiles(ui, repo, name))
    except Exception:  # noqa: BLE001 - whatever stops hg's parser stops its import too
        return None


def git_files(data):
    r = subprocess.run(['git', 'apply', '--numstat', '-z', '-'], input=data, capture_output=True, cwd='/')
    # --numstat stops at a corrupt binary hunk with an error but exit 0;
    # applying it would fail, so it counts as refused.
    if r.returncode != 0 or b'error:' in r.stderr:
        return None
    out, files, fields = r.stdout, [], r.stdout.split(b'\0')
    i = 0
    while i < len(fields):
        stat = fields[i]
        if not stat:
            i += 1
            continue
        parts = stat.split(b'\t')
        if len(parts) == 3 and parts[2]:
            files.append(parts[2])
            i += 1
        else:  # a rename or copy: "added\tdeleted\t" NUL old NUL new NUL
            files.extend(fields[i + 1:i + 3])
            i += 3
    return sorted(set(f.hex() for f in files))


def read_frame(stream):
    line = stream.readline()
    if not line:
        return None
    return stream.read(int(line))


def main():
    ui = uimod.ui.load()
    ui.setconfig(b'ui', b'quiet', b'true')
    ui.fout = io.BytesIO()
    ui.ferr = io.BytesIO()
    root = tempfile.mkdtemp(prefix='autoland-oracle-')
    repo = hg.repository(ui, root.encode(), create=True)
    stdin, stdout = sys.stdin.buffer, sys.stdout
    while True:
        whole = read_frame(stdin)
        if whole is None:
            break
        diff = read_frame(stdin)
        try:
            answer = {'hg_whole': hg_files(ui, repo, whole), 'hg_diff': hg_files(ui, repo, b'\n' + diff),
                      'git_whole': git_files(whole), 'git_diff': git_files(diff)}
        except BaseException:  # noqa: BLE001 - one odd patch must not end the oracle
            traceback.print_exc()
            answer = {'hg_whole': None, 'hg_diff': None, 'git_whole': None, 'git_diff': None}
        stdout.write(json.dumps(answer) + '\n')
        stdout.flush()


if __name__ == '__main__':
    os.environ['HGPLAIN'] = '1'
    main()
