import ArgumentParser
import TruckrollCommands

/// The `truckroll` executable: everything lives in ``TruckrollCommands``.
@main
enum TruckrollMain {
    static func main() async {
        await Truckroll.main()
    }
}
