from wasteledger.cli import main

raise SystemExit(main())
