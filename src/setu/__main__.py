from setu.app.cli import main

main()
