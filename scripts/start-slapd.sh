#!/usr/bin/env bash
# Starts a throwaway OpenLDAP slapd (Debian's `slapd`) on 127.0.0.1:PORT under
# DIR, with an mdb database under dc=mozilla, a small schema adding
# `bugzillaEmail`, groups cn=scm_level_1..3 (posixGroup, memberUid = the
# person's mail) and people at levels 0 to 3, for the LDAP tests and the
# sandbox. Stop it with stop-slapd.sh DIR.
#
#   start-slapd.sh DIR PORT [PEOPLE_LDIF]
#
# Without PEOPLE_LDIF these people exist (password "secret" for the bind
# account cn=autoland,dc=mozilla):
#   mail=nobody@example.org       level 0, bugzillaEmail nobody@example.org
#   mail=l1@example.org           level 1, bugzillaEmail try-user@example.org
#   mail=l2@example.org           level 2, bugzillaEmail l2@example.org
#   mail=dev@example.org          level 3, bugzillaEmail dev@example.org
#   mail=rita@example.org         level 3, no bugzillaEmail (found by mail)
set -euo pipefail

dir=$1 port=$2 people=${3:-}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/db" && mkdir -p "$dir/db"

cat >"$dir/autoland.schema" <<'EOF'
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'bugzillaEmail'
  DESC 'The Bugzilla login of a person'
  EQUALITY caseIgnoreIA5Match
  SUBSTR caseIgnoreIA5SubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'mozComPerson'
  SUP inetOrgPerson STRUCTURAL
  MAY ( bugzillaEmail ) )
EOF

cat >"$dir/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include $dir/autoland.schema
modulepath /usr/lib/ldap
moduleload back_mdb.so
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
database mdb
maxsize 16777216
suffix "dc=mozilla"
rootdn "cn=admin,dc=mozilla"
rootpw admin-secret
directory $dir/db
index objectClass eq
index mail eq
index bugzillaEmail eq
index memberUid eq
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="cn=autoland,dc=mozilla" read by * none
EOF

if [[ -z "$people" ]]; then
  people="$dir/people.ldif"
  person() {  # person MAIL BUGZILLA_EMAIL(or -)
    printf 'dn: mail=%s,ou=people,dc=mozilla\nobjectClass: mozComPerson\nmail: %s\ncn: %s\nsn: %s\n' "$1" "$1" "$1" "$1"
    [[ "$2" != "-" ]] && printf 'bugzillaEmail: %s\n' "$2"
    printf '\n'
  }
  group() {  # group LEVEL MEMBER...
    local level=$1; shift
    printf 'dn: cn=scm_level_%s,ou=groups,dc=mozilla\nobjectClass: posixGroup\ncn: scm_level_%s\ngidNumber: %s\n' \
      "$level" "$level" "$((1000 + level))"
    for m in "$@"; do printf 'memberUid: %s\n' "$m"; done
    printf '\n'
  }
  {
    person nobody@example.org nobody@example.org
    person l1@example.org try-user@example.org
    person l2@example.org l2@example.org
    person dev@example.org dev@example.org
    person rita@example.org -
    group 1 l1@example.org l2@example.org dev@example.org rita@example.org
    group 2 l2@example.org dev@example.org rita@example.org
    group 3 dev@example.org rita@example.org
  } >"$people"
fi

{
  printf 'dn: dc=mozilla\nobjectClass: dcObject\nobjectClass: organization\ndc: mozilla\no: mozilla\n\n'
  printf 'dn: cn=autoland,dc=mozilla\nobjectClass: person\ncn: autoland\nsn: autoland\nuserPassword: secret\n\n'
  printf 'dn: ou=people,dc=mozilla\nobjectClass: organizationalUnit\nou: people\n\n'
  printf 'dn: ou=groups,dc=mozilla\nobjectClass: organizationalUnit\nou: groups\n\n'
  cat "$people"
} >"$dir/data.ldif"

slapadd -q -f "$dir/slapd.conf" -l "$dir/data.ldif" 2>"$dir/slapadd.log" || {
  echo "start-slapd: slapadd failed:" >&2
  cat "$dir/slapadd.log" >&2
  exit 1
}
/usr/sbin/slapd -h "ldap://127.0.0.1:${port}/" -f "$dir/slapd.conf" 2>"$dir/slapd.log" || {
  echo "start-slapd: slapd did not start:" >&2
  cat "$dir/slapd.log" >&2
  exit 1
}
# No readiness signal: ask until it answers.
for _ in $(seq 1 100); do
  if ldapsearch -x -H "ldap://127.0.0.1:${port}/" -D cn=autoland,dc=mozilla -w secret -b dc=mozilla -s base \
    '(objectClass=*)' dn >/dev/null 2>&1; then
    echo "start-slapd: slapd on 127.0.0.1:${port}"
    exit 0
  fi
  sleep 0.05
done
echo "start-slapd: slapd did not answer within 5 s" >&2
cat "$dir/slapd.log" >&2
exit 1
