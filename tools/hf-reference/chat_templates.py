#!/usr/bin/env python3
"""Renders chat templates with Python's jinja2 configured as HF transformers configures it, for
src/test/java/dev/tropism/engine/hf/ChatTemplateTest: the Java side (jinjava) must produce the same text.

transformers renders tokenizer_config.json's chat_template in an ImmutableSandboxedEnvironment with
trim_blocks=True and lstrip_blocks=True, a raise_exception(message) global and a tojson filter, passing
messages, add_generation_prompt and the special tokens (bos_token, eos_token, ...) as variables.
The templates below are written in the style of real ones (ChatML as Qwen2 and SmolLM use it, Zephyr as
TinyLlama-Chat uses it, Llama-2's [INST] format); they exercise the constructs those use.

Run from the repository root:
  python3 tools/hf-reference/chat_templates.py src/test/resources/hf/chat-templates.json   (any Python with jinja2 3.x)
"""
import json
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise ValueError(message)


CHATML = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
          "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
          "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
ZEPHYR = ("{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'system' %}\n{{ '<|system|>\\n' + message['content'] + eos_token }}\n"
          "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n"
          "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}")
LLAMA2 = ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
          "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
          "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
          "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
          "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
          "{% if loop.index0 == 0 and system_message != false %}"
          "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
          "{% else %}{% set content = message['content'] %}{% endif %}"
          "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content | trim + ' [/INST]' }}"
          "{% elif message['role'] == 'assistant' %}{{ ' ' + content | trim + ' ' + eos_token }}{% endif %}{% endfor %}")

CONVERSATIONS = [
    [{"role": "user", "content": "What is 12+34?"}],
    [{"role": "system", "content": "Answer with digits only."}, {"role": "user", "content": "12+34="},
     {"role": "assistant", "content": " 46 "}, {"role": "user", "content": "and 1+1?"}],
]


def main(out):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    env.filters["tojson"] = lambda x, **kw: json.dumps(x, ensure_ascii=False)
    cases = []
    for name, template, bos, eos in (("chatml", CHATML, None, "<|im_end|>"), ("zephyr", ZEPHYR, "<s>", "</s>"),
                                     ("llama2", LLAMA2, "<s>", "</s>")):
        for messages in CONVERSATIONS:
            for gen in (True, False):
                text = env.from_string(template).render(messages=messages, add_generation_prompt=gen,
                                                        bos_token=bos or "", eos_token=eos)
                cases.append({"name": name, "template": template, "bos_token": bos, "eos_token": eos,
                              "messages": messages, "add_generation_prompt": gen, "expected": text})
    bad = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    try:
        env.from_string(LLAMA2).render(messages=bad, add_generation_prompt=False, bos_token="<s>", eos_token="</s>")
        raise AssertionError("llama2 must refuse two user turns in a row")
    except ValueError as e:
        cases.append({"name": "llama2", "template": LLAMA2, "bos_token": "<s>", "eos_token": "</s>", "messages": bad,
                      "add_generation_prompt": False, "error": str(e)})
    with open(out, "w") as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)
    print(len(cases), "cases")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/hf/chat-templates.json")
