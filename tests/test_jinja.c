/* The Jinja interpreter on its own: a table of snippets whose expected output (or error)
 * was produced once by Python Jinja2 3.1.6 with transformers' settings
 * (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, tojson =
 * json.dumps(ensure_ascii=False), strftime_now fixed at 2026-11-26 09:30), run on the
 * context CTX below; then limits on runaway templates, the API, thread safety, and
 * robustness against mutated templates. */
#include "harness.h"
#include "../model/jinja.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *CTX =
    "{\"msgs\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 3, \"flag\": true, "
    "\"d\": {\"k\": [1, 2.5, null]}}";

/* Generated from Python Jinja2 3.1.6 with transformers' settings (see test_jinja.c). */
static const struct { const char *src; const char *want; } SNIPPETS[] = {
    {"{{ 1 + 2 }} {{ 1 - 2.5 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }}",
     "3 -1.5 3.5 3 -4 1 2 1024 0.5 3.0 0.5"},
    {"{{ 'a' ~ 1 ~ none ~ true ~ 1.5 ~ [1, 'x'] ~ {'k': (1,)} }}",
     "a1NoneTrue1.5[1, 'x']{'k': (1,)}"},
    {"{{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1/3 }} {{ 2**3**2 }} {{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1.5e3 }} {{ 1E-2 }}",
     "1e+16 1000000000000000.0 0.0001 1e-05 0.3333333333333333 64 1000 31 15 5 1500.0 0.01"},
    {"{{ \"it's\" }} {{ [\"it's\", 'a\"b', 'c\\'d\"', '\\n\\t\\\\', '\xc3\xa9', '\\x01', '\\u2028'] }}",
     "it's [\"it's\", 'a\"b', 'c\\'d\"', '\\n\\t\\\\', '\xc3\xa9', '\\x01', '\\u2028']"},
    {"{{ 'a\\u00e9\\x41\\101\\q\\N' }}",
     "ERROR TemplateSyntaxError: malformed \\N character escape"},
    {"{% for i in range(3) %}{{ i }}{% if not loop.last %}, {% endif %}{% endfor %}",
     "0, 1, 2"},
    {"{% for k, v in {'a': 1, 'b': [2]}.items() %}{{ k }}={{ v }};{% endfor %}",
     "a=1;b=[2];"},
    {"{% for x in [3, 1, 2] if x > 1 %}{{ loop.index }}:{{ x }}:{{ loop.length }}:{{ loop.revindex }}:{{ loop.first }}:{{ loop.last }} {% else %}none{% endfor %}",
     "1:3:2:2:True:False 2:2:2:1:False:True "},
    {"{% for x in [] %}x{% else %}empty{% endfor %}",
     "empty"},
    {"{% for x in 'h\xc3\xa9llo' %}[{{ x }}]{% endfor %}",
     "[h][\xc3\xa9][l][l][o]"},
    {"{% for x in {'b': 1, 'a': 2} %}{{ x }}{% endfor %}",
     "ba"},
    {"{% for x in [1,2] %}{% for y in 'ab' %}{{ loop.index }}{{ x }}{{ y }} {% endfor %}{{ loop.index }}|{% endfor %}",
     "11a 21b 1|12a 22b 2|"},
    {"{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }};{{ loop.cycle('a','b') }}{{ loop.index0 }}{{ loop.revindex0 }}{% endfor %}",
     "-2;a021-3;b112-;a20"},
    {"{% set ns = namespace(count=0, items=[]) %}{% for x in range(5) %}{% set ns.count = ns.count + x %}{% set ns.items = ns.items + [x] %}{% endfor %}{{ ns.count }} {{ ns.items }} {{ ns }}",
     "10 [0, 1, 2, 3, 4] <Namespace {'count': 10, 'items': [0, 1, 2, 3, 4]}>"},
    {"{% set x = 1 %}{% for i in range(2) %}{% set x = x + 10 %}{{ x }}{% endfor %}{{ x }}",
     "11111"},
    {"{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = 1, %}{{ c }}",
     "12(1,)"},
    {"{% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}]",
     "[block 2]"},
    {"{% set x | upper %}hello{% endset %}{{ x }}",
     "HELLO"},
    {"{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }} {{ greet('Al', greeting='Hi') }} {{ greet(greeting='Yo', name='Z') }}",
     "Hello, Bob! Hi, Al! Yo, Z!"},
    {"{% macro f(a, b=a*2) %}{{ a }}{{ b }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1) }}|{{ f(1, 2, 3, k=4) }}",
     "12(){}|12(3,){'k': 4}"},
    {"{% macro f(a) %}[{{ a }}]{% endmacro %}{{ f() }}",
     "[]"},
    {"{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, 2) }}",
     "ERROR TypeError: macro 'f' takes not more than 1 argument(s)"},
    {"{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, k=2) }}",
     "ERROR TypeError: macro 'f' takes no keyword argument 'k'"},
    {"{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}",
     "<inner>"},
    {"{% macro wrap(x) %}<{{ caller(x * 2) }}>{% endmacro %}{% call(v) wrap(21) %}got {{ v }}{% endcall %}",
     "<got 42>"},
    {"{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(6) }}",
     "720"},
    {"{% filter upper %}abc {{ 'def' }}{% endfilter %}",
     "ABC DEF"},
    {"{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}",
     "3"},
    {"{{ x }}|{{ x is defined }}|{{ x is undefined }}|{{ x|default('d') }}|{{ none|default('n') }}|{{ ''|default('e', true) }}|{{ x|d('dd') }}",
     "|False|True|d|None|e|dd"},
    {"{{ x.y }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{{ x['y'] }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{% set d = {'a': 1} %}{{ d.b }}|{{ d['b'] }}|{{ d.a }}|{{ d.get('a') }}|{{ d.get('b', 5) }}|{{ d.b is defined }}",
     "||1|1|5|False"},
    {"{% set d = {} %}{{ d.a.b }}",
     "ERROR UndefinedError: 'dict object' has no attribute 'a'"},
    {"{{ [1, 2][5] }}|{{ 'abc'[1] }}|{{ 'abc'[-1] }}|{{ 'abc'[5] }}|{{ [1,2,3][-1] }}",
     "|b|c||3"},
    {"{{ [1,2][5] + 1 }}",
     "ERROR UndefinedError: list object has no element 5"},
    {"{{ 'abc'[1:] }} {{ 'h\xc3\xa9llo'[1:3] }} {{ [1,2,3][::-1] }} {{ [1,2,3,4,5][1:4:2] }} {{ 'abcdef'[::-2] }} {{ [1,2,3][5:] }} {{ (1,2,3)[1:] }}",
     "bc \xc3\xa9l [3, 2, 1] [2, 4] fdb [] (2, 3)"},
    {"{{ 'a' + 1 }}",
     "ERROR TypeError: can only concatenate str (not \"int\") to str"},
    {"{{ 1 + 'a' }}",
     "ERROR TypeError: unsupported operand type(s) for +: 'int' and 'str'"},
    {"{{ x + 1 }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{{ none + 1 }}",
     "ERROR TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'"},
    {"{{ [1] + [2] }} {{ (1,) + (2,) }} {{ 'ab' * 3 }} {{ [0] * 3 }} {{ 3 * 'x' }}",
     "[1, 2] (1, 2) ababab [0, 0, 0] xxx"},
    {"{{ [1] + (2,) }}",
     "ERROR TypeError: can only concatenate list (not \"tuple\") to list"},
    {"{{ 1 / 0 }}",
     "ERROR ZeroDivisionError: division by zero"},
    {"{{ 1 // 0 }}",
     "ERROR ZeroDivisionError: integer division or modulo by zero"},
    {"{{ 1 % 0 }}",
     "ERROR ZeroDivisionError: integer modulo by zero"},
    {"{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ 1 == 1.0 }} {{ 1 != 2 }} {{ (1,2) == (1,2) }} {{ [1] == (1,) }} {{ {'a':1} == {'a':1} }} {{ true == 1 }}",
     "True False True True True True True False True True"},
    {"{{ 1 < 'a' }}",
     "ERROR TypeError: '<' not supported between instances of 'int' and 'str'"},
    {"{{ 'b' in 'abc' }} {{ 1 in [1, 2] }} {{ 'a' in {'a': 1} }} {{ 3 not in [1] }} {{ 'x' in y }} {{ '' in 'abc' }}",
     "True True True True False True"},
    {"{{ 'a' in none }}",
     "ERROR TypeError: argument of type 'NoneType' is not iterable"},
    {"{{ 1 in 'abc' }}",
     "ERROR TypeError: 'in <string>' requires string as left operand, not int"},
    {"{{ true and 'x' }} {{ false or 'y' }} {{ none or 0 }} {{ 0 and 1 }} {{ not 0 }} {{ not 'a' }} {{ [] or {} }}",
     "x y 0 0 True False {}"},
    {"{{ 'yes' if true else 'no' }} {{ 'yes' if false else 'no' }} [{{ 'yes' if false }}] {{ (1 if false) is defined }}",
     "yes no [] False"},
    {"{{ -5|abs }} {{ 'x'|upper }} {{ 'X'|lower }} {{ 'hello world-foo(bar'|title }} {{ 'hELLO wORLD'|capitalize }} {{ '  x  '|trim }} {{ 'xxaxx'|trim('x') }}",
     "5 X x Hello World-Foo(Bar Hello world x a"},
    {"{{ [1,2,3]|length }} {{ 'h\xc3\xa9llo'|length }} {{ {'a':1}|count }} {{ x|length }}",
     "3 5 1 0"},
    {"{{ 5|length }}",
     "ERROR TypeError: object of type 'int' has no len()"},
    {"{{ [3,1,2]|sort }} {{ ['b','A','a','C']|sort }} {{ ['b','A','a']|sort(case_sensitive=true) }} {{ [3,1,2]|sort(reverse=true) }} {{ [{'a':2},{'a':1}]|sort(attribute='a') }}",
     "[1, 2, 3] ['A', 'a', 'b', 'C'] ['A', 'a', 'b'] [3, 2, 1] [{'a': 1}, {'a': 2}]"},
    {"{{ ['b','A','a','B']|unique|list }} {{ [1,2,1,3]|unique|list }} {{ ['a','A']|unique(case_sensitive=true)|list }}",
     "['b', 'A'] [1, 2, 3] ['a', 'A']"},
    {"{{ [1,2,3]|first }} {{ []|first }}|{{ 'abc'|last }} {{ [1,2,3]|sum }} {{ [1,5,2]|max }} {{ [4,1,2]|min }} {{ {'a':1}|list }} {{ 'ab'|list }} {{ []|max }}|",
     "1 |c 6 5 1 ['a'] ['a', 'b'] |"},
    {"{{ [1,2,3]|select('odd')|list }} {{ [1,2,3]|reject('odd')|list }} {{ [1,2,3]|map('string')|list }} {{ [{'a':1},{'b':2}]|map(attribute='a')|list }} {{ [{'a':1},{'b':2}]|map(attribute='a', default=9)|list }}",
     "[1, 3] [2] ['1', '2', '3'] [1, Undefined] [1, 9]"},
    {"{{ [{'t':'x','n':1},{'t':'y','n':2},{'n':3}]|selectattr('t')|list }} {{ [{'t':'x'},{'t':'y'}]|selectattr('t','equalto','y')|list }} {{ [{'t':'x'},{'t':'y'}]|rejectattr('t','eq','y')|map(attribute='t')|join(',') }} {{ [{'a':1},{}]|selectattr('a','defined')|list }}",
     "[{'t': 'x', 'n': 1}, {'t': 'y', 'n': 2}] [{'t': 'y'}] x [{'a': 1}]"},
    {"{{ [1,2,3]|join }} {{ [1,2,3]|join(', ') }} {{ ['a',none,1]|join('|') }} {{ [{'n':'a'},{'n':'b'}]|join(',', attribute='n') }}",
     "123 1, 2, 3 a|None|1 a,b"},
    {"{{ 'hello'|replace('l', 'L') }} {{ 'hello'|replace('l', 'L', 1) }} {{ 'abc'|replace('', '-') }} {{ 'aaa'|replace('a','b',2) }}",
     "heLLo heLlo -a-b-c- bba"},
    {"{{ 'a\\nb'|indent }}|{{ 'a\\nb'|indent(2) }}|{{ 'a\\n\\nb\\n'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, blank=true) }}|{{ 'x\\ny'|indent('> ') }}|{{ ''|indent(2, true) }}",
     "a\n    b|a\n  b|  a\n\n  b\n|a\n  \n  b|x\n> y|  "},
    {"{{ 3.7|int }} {{ '42'|int }} {{ 'x'|int }} {{ '3.5'|float }} {{ '42.9'|int }} {{ ' 7 '|int }} {{ 'ff'|int(base=16) }} {{ 'x'|int(5) }} {{ none|int }} {{ true|int }} {{ '1e3'|int }} {{ 'abc'|float }} {{ '1_0'|int }}",
     "3 42 0 3.5 42 7 255 5 0 1 1000 0.0 10"},
    {"{{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ 2.675|round(2) }} {{ 7|float }} {{ 2.1|round(0, 'ceil') }} {{ 2.9|round(0, 'floor') }} {{ 5|round }} {{ -2.5|round }}",
     "2.0 4.0 2.57 2.67 7.0 3.0 2.0 5 -2.0"},
    {"{{ {'b':1,'a':2}|dictsort }} {{ {'b':1,'a':2}|dictsort(by='value') }} {{ {'b':1,'a':2}|dictsort(reverse=true) }}",
     "[('a', 2), ('b', 1)] [('b', 1), ('a', 2)] [('b', 1), ('a', 2)]"},
    {"{{ {'a':1,'b':[1,2]}|items|list }} {{ x|items|list }}",
     "[('a', 1), ('b', [1, 2])] []"},
    {"{{ 'x'|tojson }} {{ {'a': [1, 2.5, none, true, '\xc3\xa9\"\\n<>&\\'']}|tojson }} {{ {'a': [1, {}], 'b': []}|tojson(indent=2) }} {{ [1]|tojson(indent=4) }} {{ '\xc3\xa9\xf0\x9f\x98\x80'|tojson(ensure_ascii=true) }} {{ {'b':1,'a':2}|tojson(sort_keys=true) }} {{ [1,2]|tojson(separators=(',', ':')) }}",
     "\"x\" {\"a\": [1, 2.5, null, true, \"\xc3\xa9\\\"\\n<>&'\"]} {\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n} [\n    1\n] \"\\u00e9\\ud83d\\ude00\" {\"a\": 2, \"b\": 1} [1,2]"},
    {"{{ x|tojson }}",
     "ERROR TypeError: Object of type Undefined is not JSON serializable"},
    {"{{ (1, 'a')|tojson }} {{ {1: 'a', none: 'b', true: 'c', 1.5: 'd'}|tojson }} {{ 1e100|tojson }} {{ -0.0|tojson }}",
     "[1, \"a\"] {\"1\": \"c\", \"null\": \"b\", \"1.5\": \"d\"} 1e+100 -0.0"},
    {"{{ 'abc'|reverse }} {{ [1,2,3]|reverse|list }} {{ 'x'|string }} {{ 12|string }} {{ [1]|string }} {{ none|string }}",
     "cba [3, 2, 1] x 12 [1] None"},
    {"{{ [1,2,3,4,5]|batch(2)|list }} {{ [1,2,3]|batch(2, 'x')|list }}",
     "[[1, 2], [3, 4], [5]] [[1, 2], [3, 'x']]"},
    {"{{ 'hello world foo'|wordcount }} {{ 'abc'|center(9) }}| {{ '%s-%d' % ('a', 3) }} {{ '%05.2f|%-4s|%x' % (3.14159, 'ab', 255) }} {{ '%(a)s' % {'a': 1} }} {{ '%s' % 'x' }} {{ 'no args' % () }}",
     "3    abc   | a-3 03.14|ab  |ff 1 x no args"},
    {"{{ '%s %s' % ('a',) }}",
     "ERROR TypeError: not enough arguments for format string"},
    {"{{ '{} {}'.format(1, 'b') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{name}!'.format(name='x') }} {{ '{:>5}|{:<5}|{:^5}'.format('a','b','c') }} {{ '{:.2f}'.format(3.14159) }} {{ '{:05d}'.format(42) }} {{ '{{}}'.format() }}",
     "1 b aba x!     a|b    |  c   3.14 00042 {}"},
    {"{{ 'Hello World'.lower() }} {{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ '  a b  '.split(None, 1) }} {{ 'a\\nb\\r\\nc'.splitlines() }}",
     "hello world ['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a b', 'c'] ['a', 'b  '] ['a', 'b', 'c']"},
    {"{{ '  xx  '.strip() }}|{{ '  xx  '.lstrip() }}|{{ '  xx  '.rstrip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nhi\\n'.strip('\\n') }}|{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith(('x', 'a')) }}",
     "xx|xx  |  xx|hi|hi|True True True"},
    {"{{ 'hello'.replace('l', 'L') }} {{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ 'hello'.upper() }} {{ 'Hello World'.swapcase() }} {{ \"they're bill's\".title() }} {{ 'hello'.capitalize() }}",
     "heLLo 2 3 -1 2 HELLO hELLO wORLD They'Re Bill'S Hello"},
    {"{{ '-'.join(['a', 'b']) }} {{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ '42'.zfill(5) }} {{ 'abc'.center(7, '*') }} {{ 'ab'.ljust(4, '.') }}|{{ 'ab'.rjust(4) }} {{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ 'ABC'.isupper() }} {{ 'abc'.islower() }} {{ '  '.isspace() }}",
     "a-b ('a', '=', 'b=c') ('a=b', '=', 'c') 00042 **abc** ab..|  ab True True True True True"},
    {"{{ 'prefix_x'.removeprefix('prefix_') }} {{ 'x.py'.removesuffix('.py') }} {{ 'a\\tb'.expandtabs(4) }}|",
     "x x a   b|"},
    {"{{ {'a': 1}.items() | list }} {{ {'a': 1}.keys() | list }} {{ {'a': 1}.values() | list }} {{ [1,2,2].count(2) }} {{ [1,2,3].index(2) }}",
     "[('a', 1)] ['a'] [1] 2 1"},
    {"{{ [1,2].append(3) }}",
     "ERROR SecurityError: access to attribute 'append' of 'list' object is unsafe."},
    {"{{ {'a':1}.update({}) }}",
     "ERROR SecurityError: access to attribute 'update' of 'dict' object is unsafe."},
    {"{% set l = [1] %}{{ l.append }}",
     ""},
    {"{{ foo() }}",
     "ERROR UndefinedError: 'foo' is undefined"},
    {"{{ 'abc'() }}",
     "ERROR TypeError: 'str' object is not callable"},
    {"{{ range(3)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }}",
     "[0, 1, 2] [1, 4, 7] [5, 3, 1] []"},
    {"{{ range(200000)|length }}",
     "ERROR OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."},
    {"{{ dict(a=1, b=2) }} {{ namespace(a=1) }} {{ namespace({'x': 2}).x }}",
     "{'a': 1, 'b': 2} <Namespace {'a': 1}> 2"},
    {"{% set x = 1 %}{% set x.a = 1 %}",
     "ERROR TemplateRuntimeError: cannot assign attribute on non-namespace object"},
    {"{{ raise_exception('boom: ' ~ 42) }}",
     "ERROR TemplateError: boom: 42"},
    {"{{ strftime_now('%Y-%m-%d %H:%M %d %b %Y %A %j') }}",
     "2026-11-26 09:30 26 Nov 2026 Thursday 330"},
    {"{{ 1 is odd }} {{ 2 is even }} {{ 6 is divisibleby 3 }} {{ 'a' is string }} {{ 1 is number }} {{ 1.0 is float }} {{ 1 is integer }} {{ true is boolean }} {{ none is none }} {{ {} is mapping }} {{ [] is sequence }} {{ 'x' is iterable }} {{ 1 is iterable }}",
     "True True True True True True True True True True True True False"},
    {"{{ 'a' is lower }} {{ 'A' is upper }} {{ 1 is sameas 1 }} {{ 'x' is in 'xy' }} {{ 3 is gt 2 }} {{ 3 is ge 3 }} {{ 2 is lt 3 }} {{ 2 is le 1 }} {{ 1 is ne 2 }} {{ 'a' is callable }} {{ range is callable }} {{ true is true }} {{ 0 is false }} {{ x is defined }} {{ 'upper' is filter }} {{ 'odd' is test }}",
     "True True True True True True True False True False True True False False True True"},
    {"{{ x is notatest }}",
     "ERROR TemplateAssertionError: No test named 'notatest'."},
    {"{{ x | notafilter }}",
     "ERROR TemplateAssertionError: No filter named 'notafilter'."},
    {"{% foo %}",
     "ERROR TemplateSyntaxError: Encountered unknown tag 'foo'."},
    {"{% if x %}",
     "ERROR TemplateSyntaxError: Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'."},
    {"{% for x in y %}{% endif %}",
     "ERROR TemplateSyntaxError: Encountered unknown tag 'endif'. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'."},
    {"{{ }}",
     "ERROR TemplateSyntaxError: Expected an expression, got 'end of print statement'"},
    {"{{ x y }}",
     "ERROR TemplateSyntaxError: expected token 'end of print statement', got 'y'"},
    {"{{ 'abc }}",
     "ERROR TemplateSyntaxError: unexpected char \"'\" at 3"},
    {"{{ x",
     "ERROR TemplateSyntaxError: unexpected end of template, expected 'end of print statement'."},
    {"{% if %}{% endif %}",
     "ERROR TemplateSyntaxError: Expected an expression, got 'end of statement block'"},
    {"{% set x = 1 2 %}",
     "ERROR TemplateSyntaxError: expected token 'end of statement block', got 'integer'"},
    {"{% macro m() %}{% for x in [1] %}{{ caller is defined }}{% endfor %}{% endmacro %}{{ m() }}",
     "False"},
    {"a\n  {% if true %}\n  b\n  {% endif %}\n c",
     "a\n  b\n c"},
    {"a  {%- if true %} b {% endif -%}  \n c\n",
     "a b c"},
    {"  {# c #}\nx\n\n",
     "x\n"},
    {"  {{ 'v' }}  \n{%+ if true %}y{% endif %}",
     "  v  \ny"},
    {"{% raw %}\n  {{ x }}{% endraw %}",
     "\n  {{ x }}"},
    {"   {% raw %}x{%- endraw %}  y",
     "x  y"},
    {"a {#- comment -#} b {#+ c #} d",
     "ab  d"},
    {"line1\n{%- set x = 1 -%}\nline2 {{- ' x ' -}} line3",
     "line1line2 x line3"},
    {"{{ 'a' }}\n\n{{ 'b' }}",
     "a\n\nb"},
    {"\t {% if true %}tab{% endif %}",
     "tab"},
    {"x {% if true %}\ny{% endif %}",
     "x y"},
    {"{% if a %}A{% elif b %}B{% elif c %}C{% else %}D{% endif %}|{% if not a %}na{% endif %}",
     "D|na"},
    {"{{ (1, 2) }} {{ (1,) }} {{ () }} {{ [] }} {{ {} }} {{ {'a': {'b': [1, {'c': none}]}} }}",
     "(1, 2) (1,) () [] {} {'a': {'b': [1, {'c': None}]}}"},
    {"{{ 1, 2 }}",
     "(1, 2)"},
    {"{{ [x for x in y] }}",
     "ERROR TemplateSyntaxError: expected token ',', got 'for'"},
    {"{{ -1|abs }} {{ -(2) }} {{ +3 }} {{ - 2 ** 2 }} {{ (-2) ** 2 }} {{ 10 - 2 - 3 }} {{ 2 * 3 + 4 }} {{ 2 + 3 * 4 }} {{ 1 ~ 2 + 3 }}",
     "ERROR TypeError: can only concatenate str (not \"int\") to str"},
    {"{{ 'x' ~ y.z }}",
     "ERROR UndefinedError: 'y' is undefined"},
    {"{{ 0.1 + 0.2 }} {{ 1e300 * 1e300 }} {{ -0.0 }} {{ 3.0 }} {{ 2 ** 0.5 }} {{ 10 ** 15 }} {{ 1.0 / 3 }} {{ 100.0 }} {{ 123456789.123456789 }}",
     "0.30000000000000004 inf -0.0 3.0 1.4142135623730951 1000000000000000 0.3333333333333333 100.0 123456789.12345679"},
    {"{% set messages = [{'role':'user','content':'hi'}] %}{% for m in messages %}{{ m.role }}:{{ m['content'] }}{% endfor %}",
     "user:hi"},
    {"{{ loop }}",
     ""},
    {"{% set t = (1, 2) %}{{ t[0] }}{{ t|length }}{{ t is sequence }}",
     "12True"},
    {"{{ \"a\" \"b\" 'c' }}",
     "abc"},
    {"{{ [1, 2, ] }} {{ {'a': 1, } }} {{ f(1,) if false else 'x' }}",
     "[1, 2] {'a': 1} x"},
    {"{%- set x = 'a' -%}\n{%- if x == 'a' -%}\n    yes\n{%- endif -%}",
     "yes"},
    {"{% set g = [1,2,3]|select('odd') %}{{ g|list }}{{ g|list }}",
     "[1, 3][]"},
    {"{{ [1,2]|map('string')|tojson }}",
     "ERROR TypeError: Object of type generator is not JSON serializable"},
    {"{{ [1,2]|select('odd')|length }}",
     "ERROR TypeError: object of type 'generator' has no len()"},
    {"{% if []|select('odd') %}truthy{% endif %} {% if []|select('odd')|list %}x{% else %}empty{% endif %}",
     "truthy empty"},
    {"{{ {'a':1}.items() }} {{ {'a':1}.keys() }} {{ {'a':1}.values() }} {{ {'a':1}.items()|length }} {{ range(3) }} {{ range(1,10,2) }} {{ range(10)[2:5] }} {{ range(10)[::-3] }} {{ range(3)[1] }}",
     "dict_items([('a', 1)]) dict_keys(['a']) dict_values([1]) 1 range(0, 3) range(1, 10, 2) range(2, 5) range(9, -1, -3) 1"},
    {"{{ {'a':1}.items()|tojson }}",
     "ERROR TypeError: Object of type dict_items is not JSON serializable"},
    {"{{ range(3)|tojson }}",
     "ERROR TypeError: Object of type range is not JSON serializable"},
    {"{{ [1,2,3]|reverse|list }} {{ (1,2)|reverse|list }} {{ 'abc'|reverse }} {{ [1,2,3]|select('odd')|reverse }} {{ {'a':1,'b':2}|reverse|list }}",
     "[3, 2, 1] [2, 1] cba [3, 1] ['b', 'a']"},
    {"{% set g = [1,2,3]|map('string') %}{{ g|first }}{{ g|list }}",
     "1['2', '3']"},
    {"{{ [1,2,3]|select('odd')|last }}",
     "ERROR TypeError: 'generator' object is not reversible"},
    {"{% set g = [1,2,3]|select('odd') %}{{ 1 in g }}{{ g|list }}",
     "True[3]"},
    {"{{ ([1,2]|select('odd'))[0] }}|",
     "|"},
    {"{{ {'a':1}.items()[0] }}|",
     "|"},
    {"{% for k, v in {'a':1}|items %}{{ k }}{{ v }}{% endfor %} {{ {'a':1}|items is iterable }} {{ ([1]|select) is sequence }} {{ range(2) is sequence }}",
     "a1 True False True"},
    {"{{ [[1,2],[3]]|batch(1)|list }}",
     "[[[1, 2]], [[3]]]"},
    {"{{ [1, 2] + [1]|select }}",
     "ERROR TypeError: can only concatenate list (not \"generator\") to list"},
    {"{{ (1,2).count(1) }} {{ (1,2).index(2) }} {{ range(5).count(3) }} {{ [3,4].index(4) }}",
     "1 1 1 1"},
    {"{{ [].index(1) }}",
     "ERROR ValueError: 1 is not in list"},
    {"{% set t = {'x': [1, 2]} %}{% for v in t.x %}{{ v }}{% endfor %}{{ t.x|sum }}",
     "123"},
    {"{% set x = 5 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 6 %}{{ m() }}",
     "6"},
    {"{% macro m() %}{% set y = 1 %}{{ y }}{% endmacro %}{{ m() }}{{ y }}",
     "1"},
    {"{% for i in [1] %}{% macro m() %}in{{ i }}{% endmacro %}{{ m() }}{% endfor %}{{ m is defined }}",
     "in1False"},
    {"{% macro outer() %}{% macro inner() %}I{% endmacro %}{{ inner() }}O{% endmacro %}{{ outer() }}",
     "IO"},
    {"{% macro m(caller) %}{{ caller }}{% endmacro %}{{ m(5) }}",
     "ERROR TemplateAssertionError: When defining macros or call blocks the special \"caller\" argument must be omitted or be given a default."},
    {"{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}",
     "ERROR UndefinedError: No caller defined"},
    {"{% macro m(a, b) %}{{ a }}{{ b }}{% endmacro %}{{ m(*[1, 2]) }}{{ m(**{'a': 3, 'b': 4}) }}",
     "1234"},
    {"{% set ns = namespace(x=[]) %}{% for i in range(3) %}{% set ns.x = ns.x + [i] %}{% endfor %}{{ ns.x }}{{ ns.y }}|{{ ns['x'] }}",
     "[0, 1, 2]|[0, 1, 2]"},
    {"{% set ns = namespace() %}{% set ns.a = 1 %}{{ ns.a }}{{ ns }}",
     "1<Namespace {'a': 1}>"},
    {"{{ namespace(a=1).b.c }}",
     "ERROR UndefinedError: 'jinja2.utils.Namespace object' has no attribute 'b'"},
    {"{{ none.x }}|{{ none['x'] }}|{{ 5.x }}",
     "||"},
    {"{{ none.x.y }}",
     "ERROR UndefinedError: 'None' has no attribute 'x'"},
    {"{{ [1][5].y }}",
     "ERROR UndefinedError: list object has no element 5"},
    {"{{ x|upper }}|{{ x|trim }}|{{ x|list }}|{{ x|join(',') }}|{{ x|length }}|{{ x|first }}|{{ x|string }}|{{ x|default(1) }}",
     "||[]||0|||1"},
    {"{{ x|int }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{{ x|float }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{{ x|abs }}",
     "ERROR TypeError: bad operand type for abs(): 'Undefined'"},
    {"{{ x|tojson }}",
     "ERROR TypeError: Object of type Undefined is not JSON serializable"},
    {"{{ x|last }}",
     ""},
    {"{{ x|sort }}",
     "[]"},
    {"{{ x|items|list }} {{ x|map('upper')|list }} {{ x|select|list }} {{ x|unique|list }} {{ x|sum }} {{ x|max }}|",
     "[] [] [] [] 0 |"},
    {"{% for a in x %}{{ a }}{% else %}none{% endfor %}",
     "none"},
    {"{{ x == x }} {{ x != 1 }} {{ x is none }} {{ not x }} {{ x ~ 'a' }} {{ 'a' ~ x }}",
     "True True False True a a"},
    {"{{ x < 1 }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{{ -x }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{{ x() }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{{ x[0] }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{{ x[1:2] }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{% set x.y = 1 %}",
     "ERROR TemplateRuntimeError: cannot assign attribute on non-namespace object"},
    {"{% for a, b in x %}{% endfor %}ok",
     "ok"},
    {"{% set a, b = x %}",
     "ERROR ValueError: not enough values to unpack (expected 2, got 0)"},
    {"{% set a, b = 'ab' %}{{ a }}{{ b }}",
     "ab"},
    {"{% set a, b = 1 %}",
     "ERROR TypeError: cannot unpack non-iterable int object"},
    {"{{ 'a' if x.y else 'b' }}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{% if x.y is defined %}{% endif %}",
     "ERROR UndefinedError: 'x' is undefined"},
    {"{{ x is defined and x.y }}|{{ x.y if x is defined else 'n' }}",
     "False|n"},
    {"  {%- if true %}\n    a\n  {%- endif %}",
     "    a"},
    {"{%- for m in ['a', 'b'] -%}\n    <{{ m }}>\n{%- endfor -%}",
     "<a><b>"},
    {"{% for m in ['a', 'b'] %}\n  <{{ m }}>\n{% endfor %}",
     "  <a>\n  <b>\n"},
    {"{% for m in ['a', 'b'] %}\n{{ m }}\n{% endfor %}\nend",
     "a\nb\nend"},
    {"{%- macro f() -%}\n  x\n{%- endmacro -%}\n[{{ f() }}]",
     "[x]"},
    {"{% if true %}   {% endif %}|{%+ if true %}  {% endif %}|",
     "   |  |"},
    {"text  {{- 'x' }}  {{ 'y' -}}  text",
     "textx  ytext"},
    {" {%- set a = 1 %}  {#- c #}\n    {{ a }}",
     "    1"},
    {"<{% if false %}no{% else %}\nyes\n{% endif %}>",
     "<yes\n>"},
    {"{% if true -%}\n\t x\n{%- endif %}",
     "x"},
    {"a{# c\nmulti\nline #}b",
     "ab"},
    {"   {# c #}   x",
     "   x"},
    {"{{ '\\r\\n' }}|a\nb",
     "\x0d\n|a\nb"},
    {"{% set x = \"a\\\nb\" %}{{ x }}",
     "ab"},
    {"{{ \"tab\\there\" }} {{ 'q\"q' }} {{ \"s's\" }} {{ '\\\\' }}",
     "tab\there q\"q s's \\"},
    {"{{ 10 // 3 * 3 + 10 % 3 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ not true == false }} {{ not 1 in [1] }} {{ 1 + 2 ~ 3 }} {{ 'a' ~ 1 + 2 }}",
     "ERROR TypeError: unsupported operand type(s) for +: 'int' and 'str'"},
    {"{{ 1 if 2 if 3 else 4 else 5 }} {{ 1 if 0 else 2 if 0 else 3 }}",
     "ERROR TemplateSyntaxError: expected token 'end of print statement', got 'else'"},
    {"{{ [1,2,3][1:][0] }} {{ 'abc'[::-1][0] }} {{ {'a':{'b':{'c':1}}}.a.b.c }} {{ {'a':[{'b':2}]}['a'][0]['b'] }} {{ {'a':[{'b':2}]}.a.0.b }}",
     "2 c 1 2 2"},
    {"{{ (1, 2)[0] }} {{ ('a',) }} {{ [(1, 2)]|first }} {{ {(1,2): 'x'}[(1,2)] }} {{ {1: 'int', 1.0: 'float'} }} {{ {true: 'b'}[1] }}",
     "1 ('a',) (1, 2) x {1: 'float'} b"},
    {"{{ {[1]: 2} }}",
     "ERROR TypeError: unhashable type: 'list'"},
    {"{{ 'abc' is string and 'abc' is not number }} {{ none is not none }} {{ 1 is not string }}",
     "True False True"},
    {"{{ 'foo'|attr('upper')() }} {{ {'a': 1}|attr('a') }} {{ {'a': 1}|attr('items') is callable }}",
     "FOO  True"},
    {"{{ [1,2,3]|sum(start=10) }} {{ [{'v':1},{'v':2}]|sum(attribute='v') }} {{ [[1],[2]]|sum(start=[]) }} {{ [{'a':'x'},{'a':'y'}]|map(attribute='a')|join }}",
     "16 3 [1, 2] xy"},
    {"{{ [{'a':{'b':'deep'}}]|map(attribute='a.b')|first }} {{ [[10,20]]|map(attribute='1')|first }}",
     "deep 20"},
    {"{{ ['A','b','a','B']|sort(case_sensitive=false) }} {{ [{'n':'b','v':1},{'n':'a','v':1}]|sort(attribute='v,n') }} {{ ['b','a']|sort(reverse=true) }}",
     "['A', 'a', 'b', 'B'] [{'n': 'a', 'v': 1}, {'n': 'b', 'v': 1}] ['b', 'a']"},
    {"{{ [{'g':'a','v':1},{'g':'b','v':2},{'g':'a','v':3}]|groupby('g') }}",
     "[('a', [{'g': 'a', 'v': 1}, {'g': 'a', 'v': 3}]), ('b', [{'g': 'b', 'v': 2}])]"},
    {"{{ \"%s\"|format(1) }} {{ \"%d-%s\"|format(1, 'x') }} {{ \"%(a)s\"|format(a=2) }}",
     "1 1-x 2"},
    {"{{ '%.3f %e %g %5.1f %-6d| %+d %x %o %c %%' % (3.14159, 12345.678, 0.0001, 2.25, 42, 5, 255, 8, 65) }}",
     "3.142 1.234568e+04 0.0001   2.2 42    | +5 ff 10 A %"},
    {"{{ '%r %s %a' % ('x', 'y', '\xc3\xa9') }}",
     "'x' y '\\xe9'"},
    {"{{ '%d' % 'x' }}",
     "ERROR TypeError: %d format: a real number is required, not str"},
    {"{{ '{:+.1f} {:>8.3f} {:08.2f} {:x} {:X} {:o} {:b} {:e} {:.0%}'.format(1.25, 3.14159, -2.5, 255, 255, 8, 5, 1234.5, 0.256) }}",
     "+1.2    3.142 -0002.50 ff FF 10 101 1.234500e+03 26%"},
    {"{{ '{:*^9}|{:<3}|{:>3}'.format('mid', 1, 'a') }}",
     "***mid***|1  |  a"},
    {"{{ 'hello'[1:-1] }} {{ 'hello'[-3:] }} {{ 'hello'[:100] }} {{ 'hello'[10:] }}| {{ 'h\xc3\xa9llo w\xc3\xb6rld'[3:8] }} {{ [1,2,3,4][-2:] }} {{ [1,2,3,4][::2] }}",
     "ell llo hello | lo w\xc3\xb6 [3, 4] [1, 3]"},
    {"{{ 'abc'[::0] }}",
     "ERROR ValueError: slice step cannot be zero"},
    {"{{ 'x'.center(1) }} {{ 'Hello'.casefold() }} {{ '\xc3\x9f'.casefold() }} {{ 'Title Case'.istitle() }} {{ 'a1'.isalnum() }} {{ ''.isdigit() }} {{ 'abc'.isascii() }}",
     "x hello ss True True False True"},
    {"{{ 'a-b-c'.split('-', -1) }} {{ 'a-b-c'.rsplit('-', 1) }} {{ ''.split() }} {{ ''.split(',') }} {{ '  '.split(' ') }} {{ 'a b'.split(maxsplit=0) }} {{ ' a b '.rsplit(None, 1) }}",
     "['a', 'b', 'c'] ['a-b', 'c'] [] [''] ['', '', ''] ['a b'] [' a', 'b']"},
    {"{{ 'x'.split('') }}",
     "ERROR ValueError: empty separator"},
    {"{{ 'line1\\nline2\\n'.splitlines() }} {{ 'a\\nb'.splitlines(true) }} {{ 'x\\u2028y\\x0bz'.splitlines() }}",
     "['line1', 'line2'] ['a\\n', 'b'] ['x', 'y', 'z']"},
    {"{{ 'hello world'.title() }} {{ 'HELLO'.lower() }} {{ 'hello'.upper() }} {{ 'mIxEd'.swapcase() }} {{ '3rd place'.title() }} {{ 'o\\'neil'.title() }}",
     "Hello World hello HELLO MiXeD 3Rd Place O'Neil"},
    {"{{ 'abcabc'.count('bc') }} {{ 'abc'.count('') }} {{ 'abc'.index('c') }} {{ 'abcabc'.rindex('a') }} {{ 'abcabc'.find('c', 3) }} {{ 'abc'.startswith('b', 1) }} {{ 'abc'.endswith('b', 0, 2) }}",
     "2 4 2 3 5 True True"},
    {"{{ 'abc'.index('z') }}",
     "ERROR ValueError: substring not found"},
    {"{{ 'a'.join('xyz') }} {{ ''.join(['a', 'b']) }} {{ ', '.join([]) }}",
     "xayaz ab "},
    {"{{ ', '.join([1, 2]) }}",
     "ERROR TypeError: sequence item 0: expected str instance, int found"},
    {"{{ {'b': 2, 'a': 1}|tojson(sort_keys=true, indent=1) }} {{ {'a': 'x'}|tojson(indent='--') }} {{ [1, [2, [3]]]|tojson(indent=0) }} {{ {'a': 1}|tojson(separators=(';', '=')) }}",
     "{\n \"a\": 1,\n \"b\": 2\n} {\n--\"a\": \"x\"\n} [\n1,\n[\n2,\n[\n3\n]\n]\n] {\"a\"=1}"},
    {"{{ {'k': {'n': none, 'f': 1.0, 'i': -3, 'e': 1e-7, 'big': 1e22, 's': '\\u0001\\u001f\\u007f\\u0080\\ud7ff'}}|tojson }}",
     "{\"k\": {\"n\": null, \"f\": 1.0, \"i\": -3, \"e\": 1e-07, \"big\": 1e+22, \"s\": \"\\u0001\\u001f\x7f\xc2\x80\xed\x9f\xbf\"}}"},
    {"{{ '\xc3\xa9\xf0\x9f\x98\x80\\u2028'|tojson }} {{ '\xc3\xa9\xf0\x9f\x98\x80'|tojson(ensure_ascii=true) }} {{ {'\xc3\xa9': 1}|tojson(ensure_ascii=true) }}",
     "\"\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\" \"\\u00e9\\ud83d\\ude00\" {\"\\u00e9\": 1}"},
    {"{{ {'b': 1, 2: 'a'}|tojson(sort_keys=true) }}",
     "ERROR TypeError: '<' not supported between instances of 'int' and 'str'"},
    {"{{ 1.5|round }} {{ 0.5|round }} {{ -0.5|round }} {{ 1.005|round(2) }} {{ 123.456|round(-1) }} {{ 1e20|round }} {{ 5|round(2) }}",
     "2.0 0.0 -0.0 1.0 120.0 1e+20 5"},
    {"{{ 'ab'|center(6) }}| {{ 'ab'|center(5) }}| {{ 'abc'|center(6) }}| {{ 'x'|center(0) }}|",
     "  ab  |   ab |  abc  | x|"},
    {"{{ 'The quick brown fox jumps over the lazy dog'|truncate(20) }} {{ 'short'|truncate(20) }} {{ 'The quick brown fox'|truncate(9, true) }} {{ 'abcdefghijklmnop'|truncate(10, end='!') }}",
     "The quick brown... short The qu... abcdefghi!"},
    {"{{ '<a href=\"x\">&'|e }} {{ '<b>'|escape|escape }} {{ '<x>'|safe }} {{ ('<x>'|safe) + '<y>' }} {{ '<y>' + ('<x>'|safe) }} {{ '<z>'|forceescape }} {{ '<x>'|safe is escaped }}",
     "&lt;a href=&#34;x&#34;&gt;&amp; &lt;b&gt; <x> <x>&lt;y&gt; &lt;y&gt;<x> &lt;z&gt; True"},
    {"{{ 1|wordcount }} {{ 'a b  c'|wordcount }} {{ 'don\\'t stop'|wordcount }}",
     "1 3 3"},
    {"{{ [3, 'a'] | sort }}",
     "ERROR TypeError: '<' not supported between instances of 'str' and 'int'"},
    {"{{ [1, none]|max }}",
     "ERROR TypeError: '>' not supported between instances of 'NoneType' and 'int'"},
    {"{{ {'a': 1}|dictsort(by='x') }}",
     "ERROR FilterArgumentError: You can only sort by either \"key\" or \"value\""},
    {"{{ raise_exception(42) }}",
     "ERROR TemplateError: 42"},
    {"{{ strftime_now('%d %b %Y') }} {{ strftime_now('%f|%z|%Z|%%|%I:%M %p') }}",
     "26 Nov 2026 000000|||%|09:30 AM"},
    {"{{ range(5)|list|length }} {{ range(2, -3, -1)|list }} {{ range(0, 10, 4)|list }}",
     "5 [2, 1, 0, -1, -2] [0, 4, 8]"},
    {"{{ range(1, 2, 0) }}",
     "ERROR ValueError: range() arg 3 must not be zero"},
    {"{{ dict({'a': 1}, b=2) }} {{ dict([('x', 1)]) }} {{ namespace(dict(a=1)).a }}",
     "{'a': 1, 'b': 2} {'x': 1} 1"},
    {"{{ lipsum is defined }} {{ joiner is defined }} {{ cycler is callable }}",
     "True True True"},
    {"{% for x in [1,2,3] %}{{ loop.changed(x > 1) }}{% endfor %}",
     "TrueTrueFalse"},
    {"{% for x in [1,2] %}{{ loop.depth }}{{ loop.depth0 }}{{ loop }}{% endfor %}",
     "10<LoopContext 1/2>10<LoopContext 2/2>"},
    {"{% for x in [1,2] %}{{ loop.cycle() }}{% endfor %}",
     "ERROR TypeError: no items for cycling given"},
    {"{% for x in [[1,2],[3,4]] %}{% for y in x %}{{ loop.index }}{% endfor %}/{{ loop.index }} {% endfor %}",
     "12/1 12/2 "},
    {"{% for x in [1,2,3] %}{% set y = x %}{% endfor %}{{ y }}|{% for x in [] %}{% endfor %}{{ x }}",
     "|"},
    {"{% set x = 'outer' %}{% for x in [1] %}{{ x }}{% endfor %}{{ x }}",
     "1outer"},
    {"{% for x in [1, 2] if x is odd %}{{ loop.length }}{{ x }}{% endfor %}",
     "11"},
    {"{% for x in 'ab' recursive %}{% endfor %}",
     ""},
    {"{% set x = [1,2,3] %}{{ x|length > 2 and x[0] == 1 }}",
     "True"},
    {"{{ '%s' % none }} {{ '%s|%s' % (true, [1]) }} {{ '%5s|%-5s|%.1s' % ('a', 'b', 'cd') }}",
     "None True|[1]     a|b    |c"},
    {"{{ 1 == '1' }} {{ 0 == false }} {{ none == false }} {{ '' == none }} {{ [] == [] }} {{ 1.0 == 1 }} {{ 0.1 + 0.2 == 0.3 }}",
     "False True False False True True False"},
    {"{{ (3 - 5) // 2 }} {{ 5 % -3 }} {{ -5 % 3 }} {{ 5.5 % -2 }} {{ -1 // 3 }} {{ 7 // -2 }}",
     "-1 -1 1 -0.5 -1 -4"},
    {"{{ 0 ** -1 }}",
     "ERROR ZeroDivisionError: 0.0 cannot be raised to a negative power"},
    {"{{ 1e308 * 10 }} {{ -1e308 * 10 }} {{ (1e308 * 10) - (1e308 * 10) }}",
     "inf -inf nan"},
    {"{{ 'a' < 'B' }} {{ '\xc3\xa9' > 'z' }} {{ [1, 'a'] < [1, 'b'] }} {{ (1, 2) <= (1, 2) }} {{ none == none }}",
     "False True True True True"},
    {"{{ [1, 'a'] < [1, 2] }}",
     "ERROR TypeError: '<' not supported between instances of 'str' and 'int'"},
    {"{{ none < 1 }}",
     "ERROR TypeError: '<' not supported between instances of 'NoneType' and 'int'"},
    {"{% for item in [{'n':'a','c':[{'n':'b','c':[]},{'n':'c','c':[{'n':'d','c':[]}]}]}] recursive %}<{{ item.n }}{{ loop.depth }}{% if item.c %}[{{ loop(item.c) }}]{% endif %}>{% endfor %}",
     "<a1[<b2><c2[<d3>]>]>"},
    {"{% for x in [1] %}{{ loop([2]) }}{% endfor %}",
     "ERROR TypeError: The loop must have the 'recursive' marker to be called recursively."},
    {"{% call(a, caller=1) m() %}{% endcall %}",
     "ERROR UndefinedError: 'm' is undefined"},
    {"{{ msgs[0].role }} {{ n * 2 }} {{ flag }} {{ d.k }} {{ d|tojson }} {{ msgs|length }}",
     "user 6 True [1, 2.5, None] {\"k\": [1, 2.5, null]} 1"},
    {"{% for m in msgs %}{{ loop.index }}{{ m.content|upper }}{% endfor %}\n",
     "1HI"},
    {"{% set x %}{% set y = 1 %}in{% endset %}{{ x }}[{{ y }}]",
     "in[]"},
    {"{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}{% set z = 5 %}{{ z }}{% endcall %}[{{ z }}]",
     "5[]"},
    {"{% if true %}{% set w = 2 %}{% endif %}{{ w }}",
     "2"},
    {"{% for i in [1,2] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}",
     "12"},
    {"{% for a in [1, 2] %}{% filter upper %}x{% if a == 1 %}{% continue %}{% endif %}y{% endfilter %}{% endfor %}",
     "XY"},
    {"{% set d = {'a': 1, 'b': 2} %}{% for k in d %}{{ k }}{{ d[k] }}{% endfor %}{% for k, v in d|dictsort %}{{ k }}{% endfor %}",
     "a1b2ab"},
    {"{{ {'a': 1} | tojson(indent=2) | indent(4) }}",
     "{\n      \"a\": 1\n    }"},
    {"{{ '{\"a\": 1}' | tojson }}",
     "\"{\\\"a\\\": 1}\""},
    {"{% set x = none %}{{ x is none }}{{ x|default('d') }}{{ x|default('d', true) }}",
     "TrueNoned"},
    {"{{ messages is defined }}{{ messages|default([])|length }}",
     "False0"},
    {"{% set messages = [{'role': 'user', 'content': ['a', {'type': 'text', 'text': 'b'}]}] %}{% for m in messages %}{% if m.content is string %}s{% else %}{% for c in m.content %}{{ c.text if c is mapping else c }}{% endfor %}{% endif %}{% endfor %}",
     "ab"},
    {"{{ \"x\" if none else \"y\" }} {{ [] if [] else {} }} {{ 'a' and 'b' or 'c' }}",
     "y {} b"},
    {"{{ 0.1|string }} {{ 1e-7 }} {{ -1.5e-10 }} {{ 123456789012345.0 }} {{ 1.0e16 }} {{ 0.5e-4 }}",
     "0.1 1e-07 -1.5e-10 123456789012345.0 1e+16 5e-05"},
    {"{{ 'x' ~ 1.0 ~ 2.50 }}",
     "x1.02.5"},
    {"{{ ' '.join(['a', 'b']) }}{{ '\\n'.join(['x']) }}",
     "a bx"},
    {"{% set x = [1, 2, 3] %}{{ x[1:] }} {{ x[:-1] }} {{ x[-2:] }} {{ x[::2] }} {{ x[10:] }} {{ x[-10:1] }}",
     "[2, 3] [1, 2] [2, 3] [1, 3] [] [1]"},
    {"{{ \"A-B c\"|lower|replace(\"-\", \"_\")|title }}",
     "A_b C"},
    {"{{ (1, 2, 3)|list }} {{ (1, 2)|tojson }} {{ ((1, 2),)|tojson }}",
     "[1, 2, 3] [1, 2] [[1, 2]]"},
    {"{% set t = namespace(a=1) %}{% set t.b = t.a + 1 %}{{ t.b }}{% set t.a = 5 %}{{ t.a }}",
     "25"},
    {"{% set a = 1 %}{% set b = a %}{% set a = 2 %}{{ b }}",
     "1"},
    {"{{ ns.a }}",
     "ERROR UndefinedError: 'ns' is undefined"},
    {"{% set ns = namespace(x=1) %}{% macro inc() %}{% set ns.x = ns.x + 1 %}{% endmacro %}{{ inc() }}{{ inc() }}{{ ns.x }}\n",
     "3"},
};

static struct tm fixed_now(void) {
    struct tm now = {.tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 26, .tm_hour = 9, .tm_min = 30,
                     .tm_wday = 4, .tm_yday = 329};
    return now;
}

/* Render src with ctx; returns the output or "ERROR Type: message" (heap). */
static char *render(const char *src, const char *ctx_json, const qlm_tmpl_opts *opts_in, qlm_status *st,
                    qlm_tmpl_diag *diag_out) {
    qlm_error err;
    qlm_tmpl_diag diag;
    qlm_json_doc *doc = NULL;
    if (ctx_json && qlm_json_parse(ctx_json, strlen(ctx_json), NULL, &doc, &err) != QLM_OK) return strdup("BAD CONTEXT");
    struct tm now = fixed_now();
    qlm_tmpl_opts opts = opts_in ? *opts_in : (qlm_tmpl_opts){0};
    if (!opts.now) opts.now = &now;
    qlm_tmpl *t = NULL;
    char *out = NULL;
    size_t n = 0;
    qlm_status s = qlm_tmpl_compile(src, strlen(src), &t, &err, &diag);
    if (s == QLM_OK) s = qlm_tmpl_render(t, doc ? qlm_json_root(doc) : NULL, NULL, 0, &opts, &out, &n, &err, &diag);
    if (s != QLM_OK) {
        size_t cap = strlen(err.message) + 64;
        out = malloc(cap);
        snprintf(out, cap, "ERROR %s: %s", diag.type, err.message);
    }
    if (st) *st = s;
    if (diag_out) *diag_out = diag;
    qlm_tmpl_free(t);
    qlm_json_free(doc);
    return out;
}

static void test_snippets(void) {
    size_t n = sizeof SNIPPETS / sizeof SNIPPETS[0];
    t_case("jinja: %zu snippets render as Python Jinja2 does", n);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        char *got = render(SNIPPETS[i].src, CTX, NULL, NULL, NULL);
        if (strcmp(got, SNIPPETS[i].want) != 0) {
            if (bad < 10)
                fprintf(stderr, "snippet %zu: %s\n  want: %s\n  got:  %s\n", i, SNIPPETS[i].src, SNIPPETS[i].want, got);
            bad++;
        }
        free(got);
    }
    T_CHECK(bad == 0, "%d of %zu snippets differ (details on stderr)", bad, n);
}

static void expect_limit(const char *name, const char *src, const qlm_tmpl_opts *o, const char *type, const char *needle) {
    t_case("jinja limits: %s", name);
    qlm_status s;
    qlm_tmpl_diag d;
    char *got = render(src, NULL, o, &s, &d);
    T_CHECK(s != QLM_OK, "rendered: %.100s", got);
    T_CHECK(strcmp(d.type, type) == 0 && strstr(got, needle), "got %s", got);
    free(got);
}

static void test_limits(void) {
    qlm_tmpl_opts small = {.max_steps = 200000, .max_output = 1 << 20, .max_memory = 32 << 20, .max_call_depth = 50};
    expect_limit("infinite macro recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", &small,
                 "RecursionError", "50 nested macro calls");
    expect_limit("nested loops (steps)", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                 &small, "RuntimeError", "evaluation steps");
    expect_limit("string repetition", "{{ 'a' * 100000000 }}", &small, "MemoryError", "string longer than");
    expect_limit("doubling string", "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                 &small, "MemoryError", "exceeds");
    expect_limit("output size", "{% for i in range(100000) %}{{ 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }}{% endfor %}",
                 &small, "MemoryError", "output exceeds");
    expect_limit("list memory", "{% set ns = namespace(l=[0]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
                 &small, "RuntimeError", "evaluation steps");
    expect_limit("deep values", "{% set ns = namespace(l=[]) %}{% for i in range(3000) %}{% set ns.l = [ns.l] %}{% endfor %}",
                 &small, "RecursionError", "recursion depth");
    expect_limit("self-referencing namespace", "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", &small,
                 "RecursionError", "recursion depth");
    expect_limit("range cap", "{{ range(1000000)|length }}", &small, "OverflowError", "MAX_RANGE");
    /* deep nesting is refused at compile time, without recursion trouble */
    char *deep = malloc(20000);
    size_t k = 0;
    k += (size_t)sprintf(deep + k, "{{ ");
    for (int i = 0; i < 5000; i++) deep[k++] = '(';
    deep[k++] = '1';
    for (int i = 0; i < 5000; i++) deep[k++] = ')';
    k += (size_t)sprintf(deep + k, " }}");
    deep[k] = 0;
    expect_limit("5000 nested parentheses", deep, &small, "TemplateSyntaxError", "nested too deeply");
    k = 0;
    for (int i = 0; i < 1000; i++) k += (size_t)sprintf(deep + k, "{%% if 1 %%}");
    deep[k] = 0;
    expect_limit("1000 nested blocks", deep, &small, "TemplateSyntaxError", "nested too deeply");
    k = (size_t)sprintf(deep, "{{ ");
    for (int i = 0; i < 3000; i++) k += (size_t)sprintf(deep + k, "not ");
    sprintf(deep + k, "1 }}");
    expect_limit("3000 chained nots", deep, &small, "TemplateSyntaxError", "nested too deeply");
    /* left-deep chains are built by loops in the parser, so only the tree-height check
     * stops them (found by fuzz_template: 4000 links overflowed the evaluator's stack) */
    const char *links[] = {"+1", "|trim", ".x", "[0]", " and 1", "**1"};
    for (size_t l = 0; l < sizeof links / sizeof *links; l++) {
        k = (size_t)sprintf(deep, "{{ 1");
        for (int i = 0; i < 4000 && k < 19000; i++) k += (size_t)sprintf(deep + k, "%s", links[l]);
        sprintf(deep + k, " }}");
        char name[64];
        snprintf(name, sizeof name, "a chain of '%s'", links[l]);
        expect_limit(name, deep, &small, "TemplateSyntaxError", "nested too deeply");
    }
    /* each recursive call adds the height of the macro's body to the evaluator's depth:
     * the depth limit, not the stack, must end this (default options) */
    k = (size_t)sprintf(deep, "{%% macro f(n) %%}{{ 1");
    for (int i = 0; i < 250; i++) k += (size_t)sprintf(deep + k, "+1");
    sprintf(deep + k, "+f(n) }}{%% endmacro %%}{{ f(0) }}");
    expect_limit("recursion through a 250-high macro body", deep, NULL, "RecursionError", "recursion depth");
    t_case("jinja limits: a 200-long chain still renders");
    k = (size_t)sprintf(deep, "{{ 1");
    for (int i = 0; i < 200; i++) k += (size_t)sprintf(deep + k, "+1");
    sprintf(deep + k, " }}");
    char *got = render(deep, NULL, &small, NULL, NULL);
    T_CHECK(strcmp(got, "201") == 0, "got %s", got);
    free(got);
    free(deep);
}

static void test_api(void) {
    qlm_error err;
    qlm_tmpl_diag d;
    qlm_tmpl *t = NULL;
    char *out = NULL;
    size_t n = 0;

    t_case("jinja api: raise_exception gives the message, type and line");
    const char *src = "line 1\n{% if true %}\n{{ raise_exception('No system role: ' ~ 42) }}\n{% endif %}";
    T_CHECK(qlm_tmpl_compile(src, strlen(src), &t, &err, &d) == QLM_OK, "%s", err.message);
    qlm_status s = qlm_tmpl_render(t, NULL, NULL, 0, NULL, &out, &n, &err, &d);
    T_CHECK(s == QLM_ERR_FORMAT && out == NULL, "status %d", s);
    T_CHECK(strcmp(err.message, "No system role: 42") == 0, "message '%s'", err.message);
    T_CHECK(d.raised && strcmp(d.type, "TemplateError") == 0 && d.line == 3, "raised=%d type=%s line=%d", d.raised, d.type, d.line);
    qlm_tmpl_free(t);

    t_case("jinja api: syntax errors carry the line");
    src = "a\nb\n{% for x in y %}\n{% endif %}";
    T_CHECK(qlm_tmpl_compile(src, strlen(src), &t, &err, &d) == QLM_ERR_FORMAT && t == NULL, "compiled");
    T_CHECK(d.line == 4 && strcmp(d.type, "TemplateSyntaxError") == 0 && strstr(err.message, "Encountered unknown tag 'endif'"),
            "line %d type %s: %s", d.line, d.type, err.message);

    t_case("jinja api: variables override the context; NULL context; bad context");
    src = "{{ a }}-{{ b }}-{{ c is defined }}-{{ l|length }}";
    T_CHECK(qlm_tmpl_compile(src, strlen(src), &t, &err, &d) == QLM_OK, "%s", err.message);
    qlm_json_doc *ctx = NULL, *arr = NULL;
    qlm_json_parse("{\"a\": 1, \"b\": 2}", 16, NULL, &ctx, &err);
    qlm_json_parse("[1, 2, 3]", 9, NULL, &arr, &err);
    qlm_tmpl_var vars[] = {{.name = "b", .str = "B"}, {.name = "c", .boolean = true}, {.name = "l", .json = qlm_json_root(arr)}};
    T_CHECK(qlm_tmpl_render(t, qlm_json_root(ctx), vars, 3, NULL, &out, &n, &err, &d) == QLM_OK, "%s", err.message);
    T_CHECK(out && strcmp(out, "1-B-True-3") == 0 && n == 10, "got '%s'", out ? out : "");
    free(out);
    T_CHECK(qlm_tmpl_render(t, NULL, NULL, 0, NULL, &out, &n, &err, &d) == QLM_OK && strcmp(out, "--False-0") == 0, "NULL ctx");
    free(out);
    T_CHECK(qlm_tmpl_render(t, qlm_json_root(arr), NULL, 0, NULL, &out, &n, &err, &d) == QLM_ERR_INVALID_ARG && !out,
            "array as context accepted");
    qlm_tmpl_free(t);
    qlm_json_free(ctx);
    qlm_json_free(arr);

    t_case("jinja api: invalid UTF-8 template, CRLF newlines, trailing newline");
    T_CHECK(qlm_tmpl_compile("a\xff", 2, &t, &err, &d) == QLM_ERR_FORMAT && strstr(err.message, "UTF-8"), "%s", err.message);
    char *got = render("a\r\nb\rc{% if true %}\r\nd{% endif %}\n", NULL, NULL, NULL, NULL);
    T_CHECK(strcmp(got, "a\nb\ncd") == 0, "got '%s'", got);
    free(got);

    t_case("jinja api: strftime_now uses the caller's time, or the clock");
    got = render("{{ strftime_now('%d %b %Y, %H:%M') }}", NULL, NULL, NULL, NULL);
    T_CHECK(strcmp(got, "26 Nov 2026, 09:30") == 0, "got '%s'", got);
    free(got);
    T_CHECK(qlm_tmpl_compile("{{ strftime_now('%Y') }}", 24, &t, &err, &d) == QLM_OK, "%s", err.message);
    T_CHECK(qlm_tmpl_render(t, NULL, NULL, 0, NULL, &out, &n, &err, &d) == QLM_OK && n == 4 && out[0] == '2', "clock year '%s'", out);
    free(out);
    qlm_tmpl_free(t);

    t_case("jinja api: unsupported tags are refused when compiled");
    T_CHECK(qlm_tmpl_compile("{% include 'x' %}", 17, &t, &err, &d) == QLM_ERR_FORMAT && strstr(err.message, "'include'"), "%s", err.message);
    T_CHECK(qlm_tmpl_compile("{% generation %}x{% endgeneration %}", 36, &t, &err, &d) == QLM_OK, "generation: %s", err.message);
    qlm_tmpl_free(t);
}

typedef struct {
    const qlm_tmpl *t;
    const qlm_json *ctx;
    char *out;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    qlm_error err;
    size_t n;
    for (int i = 0; i < 50; i++) {
        char *o = NULL;
        if (qlm_tmpl_render(j->t, j->ctx, NULL, 0, NULL, &o, &n, &err, NULL) != QLM_OK) break;
        free(j->out);
        j->out = o;
    }
    return NULL;
}

static void test_threads(void) {
    t_case("jinja: one compiled template rendered by 4 threads at once");
    const char *src = "{% set ns = namespace(s='') %}{% for m in msgs %}{% set ns.s = ns.s ~ m.content|upper %}"
                      "{% endfor %}{{ ns.s }}{{ d|tojson }}{{ [1,2,3]|map('string')|join('-') }}";
    qlm_error err;
    qlm_tmpl *t = NULL;
    qlm_json_doc *ctx = NULL;
    T_CHECK(qlm_tmpl_compile(src, strlen(src), &t, &err, NULL) == QLM_OK, "%s", err.message);
    T_CHECK(qlm_json_parse(CTX, strlen(CTX), NULL, &ctx, &err) == QLM_OK, "%s", err.message);
    if (!t || !ctx) return;
    job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){t, qlm_json_root(ctx), NULL};
        pthread_create(&th[i], NULL, run_job, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        T_CHECK(jobs[i].out && strcmp(jobs[i].out, "HI{\"k\": [1, 2.5, null]}1-2-3") == 0, "thread %d: %s", i,
                jobs[i].out ? jobs[i].out : "(failed)");
        free(jobs[i].out);
    }
    qlm_tmpl_free(t);
    qlm_json_free(ctx);
}

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Mutated templates (bytes replaced, deleted, duplicated) must compile and render to
 * a result or an error, never crash or run away (the sanitizer build checks memory). */
static void test_mutations(void) {
    static const char *fallback =
        "{%- for m in messages %}{% if m.role == 'user' %}<u>{{ m.content|trim }}{% elif m.role == 'x' %}"
        "{{ raise_exception('bad') }}{% else %}{{ m|tojson(indent=2) }}{% endif %}{% endfor %}"
        "{% set ns = namespace(a=[]) %}{% macro f(x, y=2) %}{{ x ~ y }}{% endmacro %}{{ f(1) }}{{ ns.a|length }}";
    const char *files[] = {"chat-templates/meta-llama-Llama-3.1-8B-Instruct.jinja", "chat-templates/Qwen-Qwen3.jinja",
                           "chat-templates/meetkai-functionary-medium-v3.2.jinja",
                           "chat-templates/CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja"};
    const char *ctx_json =
        "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"Hi\"}, "
        "{\"role\": \"assistant\", \"content\": \"<think>x</think>Yo\", \"tool_calls\": [{\"type\": \"function\", "
        "\"function\": {\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}}]}], \"tools\": [{\"type\": \"function\", "
        "\"function\": {\"name\": \"f\", \"description\": \"d\", \"parameters\": {\"type\": \"object\", "
        "\"properties\": {\"a\": {\"type\": \"integer\"}}}}}], \"add_generation_prompt\": true, \"bos_token\": \"<s>\"}";
    qlm_error err;
    qlm_json_doc *ctx = NULL;
    qlm_json_parse(ctx_json, strlen(ctx_json), NULL, &ctx, &err);
    qlm_tmpl_opts o = {.max_steps = 100000, .max_output = 1 << 20, .max_memory = 16 << 20, .max_call_depth = 30};
    for (size_t f = 0; f <= sizeof files / sizeof files[0]; f++) {
        const char *path = f < sizeof files / sizeof files[0] ? t_shared(files[f]) : NULL;
        size_t len = 0;
        char *src = path ? t_read_file(path, &len) : NULL;
        if (f < sizeof files / sizeof files[0] && !src) continue; /* t_shared paths live until exit */
        if (!src) { src = strdup(fallback); len = strlen(src); }
        t_case("jinja: 400 mutations of %s", path ? files[f] : "a built-in template");
        int ok = 0, failed = 0, bad = 0;
        char *m = malloc(len * 2 + 16);
        for (int it = 0; it < 400; it++) {
            memcpy(m, src, len);
            size_t ml = len;
            for (int k = 0; k < 1 + (int)(rng() % 3); k++) {
                size_t pos = ml ? rng() % ml : 0;
                int op = (int)(rng() % 3);
                static const char alpha[] = "{}%#-+()[]'\"|.,:=~ \nxifendforsetmacro\\0";
                if (op == 0 && ml) m[pos] = alpha[rng() % (sizeof alpha - 1)];
                else if (op == 1 && ml) { memmove(m + pos, m + pos + 1, ml - pos - 1); ml--; }
                else if (ml < len * 2) { memmove(m + pos + 1, m + pos, ml - pos); m[pos] = m[rng() % (ml + 1)]; ml++; }
            }
            qlm_tmpl *t = NULL;
            qlm_tmpl_diag d;
            qlm_status s = qlm_tmpl_compile(m, ml, &t, &err, &d);
            if (s == QLM_OK) {
                char *out = NULL;
                size_t n = 0;
                s = qlm_tmpl_render(t, qlm_json_root(ctx), NULL, 0, &o, &out, &n, &err, &d);
                if (s == QLM_OK && !out) bad++;
                if (s != QLM_OK && (out || !err.message[0] || !d.type[0])) bad++;
                free(out);
                qlm_tmpl_free(t);
            } else if (t || !err.message[0]) {
                bad++;
            }
            if (s == QLM_OK) ok++;
            else failed++;
        }
        T_CHECK(bad == 0, "%d mutations broke the API contract", bad);
        fprintf(stderr, "mutations of %s: %d rendered, %d errors\n",
                f < sizeof files / sizeof files[0] ? files[f] : "the built-in template", ok, failed);
        free(m);
        free(src);
    }
    qlm_json_free(ctx);
}

int main(void) {
    test_snippets();
    test_limits();
    test_api();
    test_threads();
    test_mutations();
    return t_done();
}
