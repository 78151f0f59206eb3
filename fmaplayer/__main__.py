from fmaplayer.cli import main

raise SystemExit(main())
