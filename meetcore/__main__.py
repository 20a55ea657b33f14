from meetcore.entry import main

main()
