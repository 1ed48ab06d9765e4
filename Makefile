# The two commands a newcomer needs: `make up` (the whole LRS, printing its endpoint and credential) and
# `make test` (the whole test suite, starting what it needs). Everything else is a convenience.
.PHONY: up down status test bench demo build migrate logs conformance

up:
	deploy/local/stack.sh up

down:
	deploy/local/stack.sh down

status:
	deploy/local/stack.sh status

test:
	deploy/local/test.sh

bench:
	deploy/local/bench.sh

demo:
	deploy/local/demo.sh

build:
	cargo build --release --bins

logs:
	tail -n 50 -F .data/log/server.log .data/log/query.log .data/log/processor.log
