# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the man page and shell completions.
PREFIX ?= /usr/local
BIN := $(shell swift build -c release --show-bin-path 2>/dev/null)/deadletter

.PHONY: build install uninstall test man

build:
	swift build -c release

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/deadletter
	install -m 644 man/deadletter.1 $(DESTDIR)$(PREFIX)/share/man/man1/deadletter.1
	$(BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/deadletter
	$(BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_deadletter
	$(BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/deadletter.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/deadletter $(DESTDIR)$(PREFIX)/share/man/man1/deadletter.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/deadletter $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_deadletter \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/deadletter.fish

test:
	swift test

man:
	scripts/man
